// What the federation guide's fragments assume: the aggregate's text and the federation's
// metadata-signing certificate, both downloaded by the application.
export declare const xml: string;
export declare const federationSigningCertPem: string;
