package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of the access log.
const (
	// accessLogQueue is how many lines may wait for the writer; a request
	// that finds the queue full drops its line (counted) rather than wait.
	accessLogQueue = 4096
	// accessLogBuffer is how many bytes of formatted lines are gathered
	// before one write.
	accessLogBuffer = 64 << 10
	// accessLogFlushEvery bounds how long a line waits in the buffer.
	accessLogFlushEvery = time.Second
)

// accessRecord is what a request hands to the access log: no formatting
// and no I/O happen on the request's path.
type accessRecord struct {
	at       time.Time
	method   string
	path     string
	status   int
	duration time.Duration
}

// accessLog writes one line per request without holding any request up:
// the request puts a record on a bounded queue (or counts a drop when it is
// full); one goroutine formats the records and writes them in batches of
// whole lines, at least every second, when the buffer fills, and on
// Close. Lines hold no header, so never a key or the admin token.
type accessLog struct {
	out     io.Writer
	records chan accessRecord
	dropped atomic.Int64
	done    chan struct{}
	once    sync.Once
	// Used by the writer goroutine only.
	buf    bytes.Buffer
	format slog.Handler
}

func newAccessLog(out io.Writer) *accessLog {
	l := &accessLog{
		out:     out,
		records: make(chan accessRecord, accessLogQueue),
		done:    make(chan struct{}),
	}
	l.format = slog.NewTextHandler(&l.buf, nil)
	go l.write()
	return l
}

// wrap logs the requests next serves.
func (l *accessLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(rec, r)
		select {
		case l.records <- accessRecord{at: start, method: r.Method, path: r.URL.Path, status: rec.status, duration: time.Since(start)}:
		default:
			l.dropped.Add(1)
		}
	})
}

// Close writes every line queued so far. Call it once the HTTP server has
// shut down, so that every request has queued its line.
func (l *accessLog) Close() {
	l.once.Do(func() { close(l.records) })
	<-l.done
}

func (l *accessLog) write() {
	defer close(l.done)
	ticker := time.NewTicker(accessLogFlushEvery)
	defer ticker.Stop()
	var reportedDrops int64
	for {
		select {
		case rec, ok := <-l.records:
			if !ok {
				reportedDrops = l.reportDrops(reportedDrops)
				l.flush()
				return
			}
			l.append(rec)
			if l.buf.Len() >= accessLogBuffer {
				l.flush()
			}
		case <-ticker.C:
			reportedDrops = l.reportDrops(reportedDrops)
			l.flush()
		}
	}
}

func (l *accessLog) append(rec accessRecord) {
	r := slog.NewRecord(rec.at, slog.LevelInfo, "request", 0)
	r.AddAttrs(
		slog.String("method", clipField(rec.method)),
		slog.String("path", clipField(rec.path)),
		slog.Int("status", rec.status),
		slog.Duration("duration", rec.duration),
	)
	if len(rec.path) > maxLoggedField {
		r.AddAttrs(slog.Int("pathBytes", len(rec.path)))
	}
	_ = l.format.Handle(context.Background(), r) // a bytes.Buffer does not fail
}

// reportDrops logs how many lines were dropped since the last report.
func (l *accessLog) reportDrops(reported int64) int64 {
	n := l.dropped.Load()
	if n > reported {
		r := slog.NewRecord(time.Now(), slog.LevelWarn, "access log: queue full, lines dropped", 0)
		r.AddAttrs(slog.Int64("dropped", n-reported), slog.Int64("droppedTotal", n))
		_ = l.format.Handle(context.Background(), r)
	}
	return n
}

// flush writes the buffered lines in one write.
func (l *accessLog) flush() {
	if l.buf.Len() == 0 {
		return
	}
	_, _ = l.out.Write(l.buf.Bytes()) // nowhere to report a failing stderr
	l.buf.Reset()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
