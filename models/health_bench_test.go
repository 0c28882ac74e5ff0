package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/crowdcare/crowdcare/models"
)

// BenchmarkCommunityHealth computes the dashboard's figures for the last
// 30 days of the large seed (CROWDCARE_BENCH_QUESTIONS, spread over a
// year) on every board, as an admin, and for the last 7 days of one board:
//
//	TEST_DATABASE_URL=postgres://... CROWDCARE_BENCH_QUESTIONS=1000000 \
//	  go test ./models -run '^$' -bench CommunityHealth -benchtime 5x
func BenchmarkCommunityHealth(b *testing.B) {
	f := benchDB(b)
	ctx := context.Background()
	admin := &models.User{ID: 1, Roles: []models.Role{models.RoleAdmin}}
	var last time.Time
	if err := f.db.Raw("SELECT MAX(created_at) FROM questions").Row().Scan(&last); err != nil {
		b.Fatal(err)
	}
	to := time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	var board int64
	f.db.Raw("SELECT id FROM boards ORDER BY id LIMIT 1").Scan(&board)
	for _, c := range []struct {
		name  string
		days  int
		board int64
	}{{"30days-all-boards", 30, 0}, {"7days-one-board", 7, board}} {
		b.Run(c.name, func(b *testing.B) {
			q := models.HealthQuery{From: to.AddDate(0, 0, -c.days), To: to, BoardID: c.board}
			var asked int64
			for i := 0; i < b.N; i++ {
				h, err := models.CommunityHealth(ctx, f.db, admin, q)
				if err != nil {
					b.Fatal(err)
				}
				asked = h.Asked
			}
			b.ReportMetric(float64(asked), "questions")
		})
	}
}
