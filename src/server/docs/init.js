// Swagger UI over this server's own description. validatorUrl null: Swagger UI would otherwise send the
// description to validator.swagger.io, and nothing here may leave the machine.
window.ui = window.SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  validatorUrl: null,
  deepLinking: true,
  tryItOutEnabled: true,
  presets: [window.SwaggerUIBundle.presets.apis],
});
