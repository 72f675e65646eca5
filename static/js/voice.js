// Voice's shared page helpers. No inline scripts: the CSP allows only files from this site.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');

  /** fetch() with the CSRF header and JSON; resolves to {ok, status, data}. */
  async function api(url, options = {}) {
    const headers = Object.assign(
      { "Accept": "application/json", "X-CSRFToken": meta ? meta.content : "" },
      options.headers || {}
    );
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(options.json);
    }
    const response = await fetch(url, Object.assign({}, options, { headers, credentials: "same-origin" }));
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { ok: response.ok, status: response.status, data };
  }

  /** Call fn at most once per `wait` ms of quiet. */
  function debounce(fn, wait) {
    let timer = null;
    return function (...args) {
      clearTimeout(timer);
      timer = setTimeout(() => fn.apply(this, args), wait);
    };
  }

  window.Voice = { api, debounce };
})();
