// The built-in discovery page's style sheet and script (sp/discovery.ts), allowed by hash in its CSP.

/** The page's style sheet, allowed by hash in the page's CSP. @internal */
export const DISCOVERY_PAGE_STYLE: string =
  '*{box-sizing:border-box}body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;background:#f6f8fa;margin:0}' +
  'main{max-width:40rem;margin:0 auto;padding:1rem;background:#fff;min-height:100vh}' +
  'h1{font-size:1.375rem;margin:.5rem 0 1rem}label{display:block;font-weight:600;margin-bottom:.25rem}' +
  '.row{display:flex;gap:.5rem}input[type=search]{flex:1;min-width:0;font:inherit;padding:.5rem;border:1px solid #8c959f;border-radius:6px}' +
  'button{font:inherit;cursor:pointer}.row button{padding:.5rem 1rem}' +
  'ul{list-style:none;padding:0;margin:.5rem 0}li{margin:.25rem 0}' +
  'li button,.last button{display:flex;align-items:center;gap:.75rem;width:100%;text-align:left;padding:.625rem .75rem;background:#fff;border:1px solid #d0d7de;border-radius:6px;overflow-wrap:anywhere}' +
  'li button:hover,li button:focus,.last button:focus{border-color:#0969da;outline:2px solid #0969da}' +
  'img{width:32px;height:32px;object-fit:contain;flex:none}.count{color:#59636e;margin:.75rem 0 0}';

/**
 * The page's only script: as-you-type search through the same route's JSON answer; the page
 * works without it (the search form is submitted and answered by the server). The list is rebuilt
 * only when the results changed, so a result the user has focused stays. Allowed by hash.
 * @internal
 */
export const DISCOVERY_PAGE_SCRIPT: string =
  '(function(){var f=document.getElementById("disco-search"),q=document.getElementById("disco-q"),' +
  'list=document.getElementById("disco-results"),count=document.getElementById("disco-count"),t,n=0,shown;' +
  'if(!f||!q||!list||!count||!window.fetch)return;' +
  'q.addEventListener("input",function(){clearTimeout(t);t=setTimeout(run,150);});' +
  'function run(){var id=++n,u=new URL(f.getAttribute("action"),location.href),p=new FormData(f);' +
  'p.forEach(function(v,k){u.searchParams.set(k,String(v));});' +
  'fetch(u,{headers:{accept:"application/json"},credentials:"same-origin"}).then(function(r){return r.json();})' +
  '.then(function(d){if(id!==n)return;count.textContent=d.message;var k=JSON.stringify(d.results);' +
  'if(k===shown)return;shown=k;list.textContent="";d.results.forEach(function(r){' +
  'var li=document.createElement("li"),b=document.createElement("button");b.type="submit";b.name="entityID";b.value=r.entityId;' +
  'if(r.logo){var i=document.createElement("img");i.src=r.logo;i.alt="";b.appendChild(i);}' +
  'var s=document.createElement("span");s.textContent=r.name;b.appendChild(s);li.appendChild(b);list.appendChild(li);});' +
  '}).catch(function(){});}})();';
