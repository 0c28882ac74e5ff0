package app

import "github.com/gin-gonic/gin"

func (s *server) notificationRoutes(auth *gin.RouterGroup) {}
