package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/crowdcare/crowdcare/internal/testenv"
	"github.com/crowdcare/crowdcare/jobs"
	"github.com/crowdcare/crowdcare/models"
)

// TestAskWritesOutboxAndRelayEnqueues follows one question from the
// transaction that asks it to a task in asynq.
func TestAskWritesOutboxAndRelayEnqueues(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		redisURL, queue := testenv.RedisURL(t), testenv.QueueName()
		w := newWorld(t, db)
		qid := w.ask("Printer offline after sleep", "printer")

		var rows []models.OutboxMessage
		if err := db.Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Kind != models.TaskQuestionCreated || rows[0].SentAt != nil {
			t.Fatalf("outbox after asking: %+v", rows)
		}
		var ev models.QuestionEvent
		if err := json.Unmarshal([]byte(rows[0].Payload), &ev); err != nil || ev.QuestionID != qid || ev.ActorID != w.asker.ID || ev.PostID == 0 {
			t.Fatalf("payload %s: %v", rows[0].Payload, err)
		}

		// A failed ask writes nothing, outbox included.
		if _, err := models.Ask(ctx, db, w.asker, models.AskInput{Board: "help", Title: "x", Body: ""}); err == nil {
			t.Fatal("invalid question accepted")
		}
		ext := "import-1"
		if _, err := models.Ask(ctx, db, w.asker, models.AskInput{Board: "help", Title: "Imported once", Body: "b", ExternalID: ext}); err != nil {
			t.Fatal(err)
		}
		if _, err := models.Ask(ctx, db, w.asker, models.AskInput{Board: "help", Title: "Imported twice", Body: "b", ExternalID: ext}); err == nil {
			t.Fatal("duplicate external id accepted")
		}
		if n := countOutbox(t, db, ""); n != 2 {
			t.Fatalf("%d outbox rows after one failed insert, want 2", n)
		}

		relay := newRelay(t, db, redisURL, queue)
		if n, err := relay.RelayOnce(ctx); err != nil || n != 2 {
			t.Fatalf("relay moved %d: %v", n, err)
		}
		insp := newInspector(t, redisURL)
		info, err := insp.GetTaskInfo(queue, outboxTaskID(rows[0].ID))
		if err != nil {
			t.Fatalf("task for outbox row %d: %v", rows[0].ID, err)
		}
		if info.Type != models.TaskQuestionCreated || string(info.Payload) != rows[0].Payload || info.State != asynq.TaskStatePending {
			t.Fatalf("task %+v", info)
		}
		if n := countOutbox(t, db, "sent_at IS NULL"); n != 0 {
			t.Fatalf("%d rows still pending after relay", n)
		}
		if n, err := relay.RelayOnce(ctx); err != nil || n != 0 {
			t.Fatalf("second relay moved %d: %v", n, err)
		}
		if n := queuedTasks(t, insp, queue); n != 2 {
			t.Fatalf("%d tasks in the queue, want 2", n)
		}
	})
}

// TestRelayNeverDuplicates races two relays over the same rows and then
// replays them as if the process crashed after enqueueing but before
// marking them sent: the queue holds one task per row throughout.
func TestRelayNeverDuplicates(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		redisURL, queue := testenv.RedisURL(t), testenv.QueueName()
		const rows = 25
		for i := 0; i < rows; i++ {
			if err := models.Enqueue(db, models.TaskQuestionCreated, models.QuestionEvent{QuestionID: int64(i + 1)}); err != nil {
				t.Fatal(err)
			}
		}
		a, b := newRelay(t, db, redisURL, queue), newRelay(t, db, redisURL, queue)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, r := range []*jobs.Relay{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = r.RelayOnce(ctx) }()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("racing relays: %v / %v", errs[0], errs[1])
		}
		insp := newInspector(t, redisURL)
		if n := queuedTasks(t, insp, queue); n != rows {
			t.Fatalf("%d tasks after two racing relays, want %d", n, rows)
		}

		// Crash between enqueue and marking sent: the rows look pending.
		db.Model(&models.OutboxMessage{}).Where("1 = 1").Update("sent_at", nil)
		if n, err := a.RelayOnce(ctx); err != nil || n != rows {
			t.Fatalf("relay after crash moved %d: %v", n, err)
		}
		if n := queuedTasks(t, insp, queue); n != rows {
			t.Fatalf("%d tasks after replay, want %d", n, rows)
		}
		if n := countOutbox(t, db, "sent_at IS NULL"); n != 0 {
			t.Fatalf("%d rows pending after replay", n)
		}
	})
}

// TestRelayRedisDown stops Redis under the relay: nothing is lost, the
// failure is recorded on the row, asking still works, and the backlog drains
// once Redis is back, both for RelayOnce and for the long-running Run.
func TestRelayRedisDown(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		redisURL, queue := testenv.RedisURL(t), testenv.QueueName()
		proxy := newTCPProxy(t, redisURL)
		w := newWorld(t, db)
		w.ask("First question before the outage", "outage")
		relay := newRelay(t, db, proxy.URL, queue)
		insp := newInspector(t, redisURL)

		proxy.down()
		w.ask("Second question during the outage", "outage") // the web keeps working
		start := time.Now()
		n, err := relay.RelayOnce(ctx)
		if err == nil || n != 0 {
			t.Fatalf("relay with Redis down: moved %d, err %v", n, err)
		}
		t.Logf("RelayOnce failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
		first := firstOutbox(t, db)
		if first.SentAt != nil || first.Attempts != 1 || first.LastError == "" {
			t.Fatalf("first row after failure: %+v", first)
		}
		if n := countOutbox(t, db, "sent_at IS NULL"); n != 2 {
			t.Fatalf("%d rows pending, want 2", n)
		}
		if n := queuedTasks(t, insp, queue); n != 0 {
			t.Fatalf("%d tasks reached Redis through a closed port", n)
		}

		proxy.up()
		if n, err := relay.RelayOnce(ctx); err != nil || n != 2 {
			t.Fatalf("relay after Redis came back: moved %d, %v", n, err)
		}
		if n := queuedTasks(t, insp, queue); n != 2 {
			t.Fatalf("%d tasks after the backlog drained, want 2", n)
		}

		// The same through Run, which backs off while Redis is down.
		proxy.down()
		for i := 0; i < 3; i++ {
			w.ask("Question while the relay loops "+string(rune('A'+i)), "outage")
		}
		rctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); relay.Run(rctx) }()
		defer func() { stop(); <-done }()
		waitFor(t, 15*time.Second, "two failed relay attempts", func() bool {
			var m models.OutboxMessage
			db.Where("sent_at IS NULL").Order("id").First(&m)
			return m.Attempts >= 2
		})
		if n := countOutbox(t, db, "sent_at IS NULL"); n != 3 {
			t.Fatalf("%d rows pending during the outage, want 3", n)
		}
		proxy.up()
		waitFor(t, 15*time.Second, "backlog drained after the outage", func() bool {
			return countOutbox(t, db, "sent_at IS NULL") == 0
		})
		if n := queuedTasks(t, insp, queue); n != 5 {
			t.Fatalf("%d tasks in the queue, want 5", n)
		}
	})
}

// TestRequeueUnfinishedOutbox resets rows that were sent but never finished
// (the embedded queue lost them in a restart) and leaves the rest alone.
func TestRequeueUnfinishedOutbox(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		rows := map[string]*models.OutboxMessage{
			"pending":       {Kind: "k", Payload: "pending", CreatedAt: now},
			"sent-not-done": {Kind: "k", Payload: "sent-not-done", CreatedAt: now, SentAt: &now},
			"done":          {Kind: "k", Payload: "done", CreatedAt: now, SentAt: &now, DoneAt: &now},
		}
		for _, m := range rows {
			if err := db.Create(m).Error; err != nil {
				t.Fatal(err)
			}
		}
		n, err := models.RequeueUnfinishedOutbox(ctx, db)
		if err != nil || n != 1 {
			t.Fatalf("requeued %d: %v", n, err)
		}
		pending, err := models.PendingOutbox(ctx, db, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range pending {
			got = append(got, m.Payload)
		}
		slices.Sort(got)
		if !slices.Equal(got, []string{"pending", "sent-not-done"}) {
			t.Fatalf("pending after requeue: %v", got)
		}
		var done models.OutboxMessage
		db.First(&done, rows["done"].ID)
		if done.SentAt == nil || done.DoneAt == nil {
			t.Fatalf("finished row was touched: %+v", done)
		}
	})
}

func countOutbox(t testing.TB, db *gorm.DB, where string) int64 {
	t.Helper()
	q := db.Model(&models.OutboxMessage{})
	if where != "" {
		q = q.Where(where)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// queuedTasks counts the tasks asynq holds for queue, in any state.
func queuedTasks(t testing.TB, insp *asynq.Inspector, queue string) int {
	t.Helper()
	queues, err := insp.Queues()
	if err != nil {
		t.Fatalf("list queues: %v", err)
	}
	if !slices.Contains(queues, queue) {
		return 0 // a queue exists once it has received a task
	}
	info, err := insp.GetQueueInfo(queue)
	if err != nil {
		t.Fatalf("inspect queue %s: %v", queue, err)
	}
	return info.Pending + info.Active + info.Scheduled + info.Retry + info.Archived + info.Completed
}

// tcpProxy forwards a port to Redis and can be taken down and brought back
// on the same port, which is what a Redis restart looks like to a client.
type tcpProxy struct {
	t      testing.TB
	target string
	addr   string
	URL    string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

func newTCPProxy(t testing.TB, redisURL string) *tcpProxy {
	t.Helper()
	u, err := url.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{t: t, target: u.Host, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	u.Host = p.addr
	p.URL = u.String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *tcpProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // went down meanwhile
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

// down closes the port and every open connection through it.
func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// up listens on the same port again.
func (p *tcpProxy) up() {
	p.t.Helper()
	var err error
	for i := 0; i < 50; i++ {
		var ln net.Listener
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.serve(ln)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("proxy cannot listen on %s again: %v", p.addr, err)
}
