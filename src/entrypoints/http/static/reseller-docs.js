// Starts Swagger UI on the API's own OpenAPI document. Served from this origin: no CDN.
//
// The bundled Swagger UI (4.x) only renders documents whose version matches 3.0.n, so the
// 3.1 document is fetched here and shown with its version field relabelled; the document
// served at /api/v1/openapi.json itself stays 3.1.0.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var specUrl = root.getAttribute("data-openapi-url");
  fetch(specUrl, { headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (spec) {
      spec.openapi = "3.0.3";
      window.ui = SwaggerUIBundle({
        spec: spec,
        dom_id: "#swagger-ui",
        deepLinking: true,
        validatorUrl: null,
        presets: [SwaggerUIBundle.presets.apis],
        layout: "BaseLayout"
      });
    })
    .catch(function (error) {
      root.textContent = "Could not load the API description: " + error;
    });
})();
