// IdP metadata documents in the shapes that AD FS, Entra ID, Okta, Keycloak and Shibboleth
// publish (element layout, prefixes, role descriptors, KeyDescriptor use, extensions), written
// for these tests. Certificates are passed in as base64 DER.
import { createSelfSignedCertificate, parsePem } from '@samlkit/core';
import { toBase64 } from '../../src/lib/bytes.js';

export const B = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
  soap: 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP',
  artifact: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact',
  simpleSign: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign',
};

export interface TestCert {
  pem: string;
  keyPem: string;
  b64: string;
}

export async function makeCert(cn: string, days = 365, now = new Date()): Promise<TestCert> {
  const c = await createSelfSignedCertificate({ subject: cn, days, alg: 'p256', now });
  return {
    pem: c.certificatePem,
    keyPem: c.privateKeyPem,
    b64: toBase64(parsePem(c.certificatePem)[0]!.der),
  };
}

const kd = (use: string | null, b64: string, extra = '') =>
  `<KeyDescriptor${use ? ` use="${use}"` : ''}><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">${extra}<X509Data><X509Certificate>${b64}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`;

/** AD FS: default namespace, WS-Fed RoleDescriptors and an SPSSODescriptor before the IdP role. */
export function adfs(sign: string, enc: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor ID="_adfs-1" entityID="http://adfs.contoso.test/adfs/services/trust" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
 <RoleDescriptor xsi:type="fed:ApplicationServiceType" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706">
  ${kd('signing', sign)}
  <fed:TargetScopes><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>https://adfs.contoso.test/adfs/services/trust/2005/issuedtokenmixedasymmetricbasic256</wsa:Address></wsa:EndpointReference></fed:TargetScopes>
 </RoleDescriptor>
 <SPSSODescriptor WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  ${kd('encryption', enc)}${kd('signing', sign)}
  <SingleLogoutService Binding="${B.redirect}" Location="https://adfs.contoso.test/adfs/ls/"/>
  <AssertionConsumerService Binding="${B.post}" Location="https://adfs.contoso.test/adfs/ls/" index="0" isDefault="true"/>
 </SPSSODescriptor>
 <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  ${kd('encryption', enc)}${kd('signing', sign)}
  <SingleLogoutService Binding="${B.redirect}" Location="https://adfs.contoso.test/adfs/ls/"/>
  <SingleLogoutService Binding="${B.post}" Location="https://adfs.contoso.test/adfs/ls/"/>
  <NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</NameIDFormat>
  <NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</NameIDFormat>
  <NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</NameIDFormat>
  <SingleSignOnService Binding="${B.redirect}" Location="https://adfs.contoso.test/adfs/ls/"/>
  <SingleSignOnService Binding="${B.post}" Location="https://adfs.contoso.test/adfs/ls/"/>
  <Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" FriendlyName="E-Mail Address" xmlns="urn:oasis:names:tc:SAML:2.0:assertion"/>
 </IDPSSODescriptor>
 <ContactPerson contactType="support"/>
</EntityDescriptor>`;
}

/** Entra ID: two signing certificates during a rollover, one SLO over Redirect, no NameIDFormat. */
export function entra(current: string, next: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ID="_e1d2" entityID="https://sts.windows.net/00000000-1111-2222-3333-444444444444/" xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">${kd('signing', current)}</RoleDescriptor><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${kd('signing', current)}${kd('signing', next)}<SingleLogoutService Binding="${B.redirect}" Location="https://login.microsoftonline.com/00000000-1111-2222-3333-444444444444/saml2"/><SingleSignOnService Binding="${B.redirect}" Location="https://login.microsoftonline.com/00000000-1111-2222-3333-444444444444/saml2"/><SingleSignOnService Binding="${B.post}" Location="https://login.microsoftonline.com/00000000-1111-2222-3333-444444444444/saml2"/></IDPSSODescriptor></EntityDescriptor>`;
}

/** Okta: md: prefix, WantAuthnRequestsSigned="false", one signing key, SLO only when enabled. */
export function okta(sign: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor entityID="http://www.okta.com/exk1abcdEFGH" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${sign}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat><md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat><md:SingleSignOnService Binding="${B.post}" Location="https://example.okta.com/app/example_app_1/exk1abcdEFGH/sso/saml"/><md:SingleSignOnService Binding="${B.redirect}" Location="https://example.okta.com/app/example_app_1/exk1abcdEFGH/sso/saml"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
}

/** Keycloak: an EntitiesDescriptor wrapping one entity; ds:KeyName; artifact and SOAP endpoints. */
export function keycloak(sign: string): string {
  return `<md:EntitiesDescriptor Name="urn:keycloak" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
	<md:EntityDescriptor entityID="https://kc.example.test/realms/acme">
		<md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
			<md:KeyDescriptor use="signing">
				<ds:KeyInfo>
					<ds:KeyName>kXl0q3c9V8r2m1nYpQz7aBcDeFgHiJkLmNoPqRsTuVw</ds:KeyName>
					<ds:X509Data>
						<ds:X509Certificate>${sign}</ds:X509Certificate>
					</ds:X509Data>
				</ds:KeyInfo>
			</md:KeyDescriptor>
			<md:ArtifactResolutionService Binding="${B.soap}" Location="https://kc.example.test/realms/acme/protocol/saml/resolve" index="0"></md:ArtifactResolutionService>
			<md:SingleLogoutService Binding="${B.post}" Location="https://kc.example.test/realms/acme/protocol/saml"/>
			<md:SingleLogoutService Binding="${B.redirect}" Location="https://kc.example.test/realms/acme/protocol/saml"/>
			<md:SingleLogoutService Binding="${B.artifact}" Location="https://kc.example.test/realms/acme/protocol/saml"/>
			<md:SingleLogoutService Binding="${B.soap}" Location="https://kc.example.test/realms/acme/protocol/saml"/>
			<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
			<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
			<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>
			<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
			<md:SingleSignOnService Binding="${B.post}" Location="https://kc.example.test/realms/acme/protocol/saml"/>
			<md:SingleSignOnService Binding="${B.redirect}" Location="https://kc.example.test/realms/acme/protocol/saml"/>
			<md:SingleSignOnService Binding="${B.soap}" Location="https://kc.example.test/realms/acme/protocol/saml"/>
			<md:SingleSignOnService Binding="${B.artifact}" Location="https://kc.example.test/realms/acme/protocol/saml"/>
		</md:IDPSSODescriptor>
	</md:EntityDescriptor>
</md:EntitiesDescriptor>`;
}

/**
 * Shibboleth IdP v4/v5: scope extensions, a SAML 1.1 + 2.0 IDPSSODescriptor, two KeyDescriptors
 * with use="signing" (back-channel and front-channel) and one with use="encryption", SAML 1
 * profile endpoints, an AttributeAuthorityDescriptor, validUntil and cacheDuration.
 */
export function shibboleth(
  back: string,
  front: string,
  enc: string,
  validUntil = '2100-01-01T00:00:00Z',
): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" xmlns:xml="http://www.w3.org/XML/1998/namespace" xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui" validUntil="${validUntil}" cacheDuration="PT6H" entityID="https://idp.uni.example/idp/shibboleth">
    <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol urn:oasis:names:tc:SAML:1.1:protocol urn:mace:shibboleth:1.0">
        <Extensions>
            <shibmd:Scope regexp="false">uni.example</shibmd:Scope>
            <mdui:UIInfo><mdui:DisplayName xml:lang="en">Example University</mdui:DisplayName></mdui:UIInfo>
        </Extensions>
        <KeyDescriptor use="signing">
            <ds:KeyInfo>
                    <ds:X509Data>
                        <ds:X509Certificate>
${back.replace(/.{64}/g, '$&\n')}
                        </ds:X509Certificate>
                    </ds:X509Data>
            </ds:KeyInfo>
        </KeyDescriptor>
        <KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${front}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>
        <KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${enc}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>
        <ArtifactResolutionService Binding="urn:oasis:names:tc:SAML:1.0:bindings:SOAP-binding" Location="https://idp.uni.example:8443/idp/profile/SAML1/SOAP/ArtifactResolution" index="1"/>
        <ArtifactResolutionService Binding="${B.soap}" Location="https://idp.uni.example:8443/idp/profile/SAML2/SOAP/ArtifactResolution" index="2"/>
        <SingleLogoutService Binding="${B.redirect}" Location="https://idp.uni.example/idp/profile/SAML2/Redirect/SLO"/>
        <SingleLogoutService Binding="${B.post}" Location="https://idp.uni.example/idp/profile/SAML2/POST/SLO"/>
        <SingleLogoutService Binding="${B.simpleSign}" Location="https://idp.uni.example/idp/profile/SAML2/POST-SimpleSign/SLO"/>
        <SingleLogoutService Binding="${B.soap}" Location="https://idp.uni.example:8443/idp/profile/SAML2/SOAP/SLO"/>
        <NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</NameIDFormat>
        <SingleSignOnService Binding="urn:mace:shibboleth:1.0:profiles:AuthnRequest" Location="https://idp.uni.example/idp/profile/Shibboleth/SSO"/>
        <SingleSignOnService Binding="${B.post}" Location="https://idp.uni.example/idp/profile/SAML2/POST/SSO"/>
        <SingleSignOnService Binding="${B.simpleSign}" Location="https://idp.uni.example/idp/profile/SAML2/POST-SimpleSign/SSO"/>
        <SingleSignOnService Binding="${B.redirect}" Location="https://idp.uni.example/idp/profile/SAML2/Redirect/SSO"/>
    </IDPSSODescriptor>
    <AttributeAuthorityDescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
        ${kd('signing', back)}
        <AttributeService Binding="${B.soap}" Location="https://idp.uni.example:8443/idp/profile/SAML2/SOAP/AttributeQuery"/>
    </AttributeAuthorityDescriptor>
</EntityDescriptor>`;
}

/** A federation aggregate: nested EntitiesDescriptors, an SP among the IdPs. */
export function aggregate(
  idps: Array<{ entityId: string; cert: string; validUntil?: string }>,
  rootAttrs = '',
): string {
  const entities = idps
    .map(
      (i) =>
        `<md:EntityDescriptor entityID="${i.entityId}"${i.validUntil ? ` validUntil="${i.validUntil}"` : ''}><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${kd('signing', i.cert).replaceAll('<KeyDescriptor', '<md:KeyDescriptor').replaceAll('</KeyDescriptor', '</md:KeyDescriptor')}<md:SingleSignOnService Binding="${B.redirect}" Location="https://sso.example/${encodeURIComponent(i.entityId)}"/></md:IDPSSODescriptor></md:EntityDescriptor>`,
    )
    .join('');
  return `<md:EntitiesDescriptor ID="_agg" Name="urn:federation:test" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"${rootAttrs}><md:EntitiesDescriptor Name="nested">${entities}</md:EntitiesDescriptor><md:EntityDescriptor entityID="https://sp.example/sp"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="${B.post}" Location="https://sp.example/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor></md:EntitiesDescriptor>`;
}
