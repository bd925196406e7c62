package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDoc is the OpenAPI 3.0 description of every route New registers;
// TestOpenAPIMatchesRoutes holds the two to each other.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI answers GET /openapi.json.
func (s *Server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDoc)
}
