package app

import "github.com/gin-gonic/gin"

// recognitionRoutes registers the routes of this feature.
func (s *server) recognitionRoutes(r *gin.Engine, auth *gin.RouterGroup) {}
