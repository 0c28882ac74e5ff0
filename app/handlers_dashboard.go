package app

import "github.com/gin-gonic/gin"

// dashboardRoutes registers the routes of this feature.
func (s *server) dashboardRoutes(r *gin.Engine, auth *gin.RouterGroup) {}
