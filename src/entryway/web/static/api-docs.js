// Starts Swagger UI on /api/docs. It lives in a file because the Content-Security-Policy
// allows no inline script; the page says where the OpenAPI document is.
"use strict";
(function () {
  var root = document.getElementById("api-docs");
  window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#api-docs",
    deepLinking: true,
    // The default badge would send the document's address to an outside validator (and
    // the CSP would block it anyway).
    validatorUrl: null,
  });
})();
