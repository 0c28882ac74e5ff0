package app

import "github.com/gin-gonic/gin"

func (s *server) expertRoutes(r *gin.Engine, auth *gin.RouterGroup) {}
