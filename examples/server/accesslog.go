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

	"github.com/seed-c7fc2061/serviceaccounts/apikey"
)

// Bounds of the access log.
const (
	// accessLogQueue is how many records may wait for the writer; a
	// request that finds the queue full drops its line (counted) rather
	// than wait.
	accessLogQueue = 8192
	// accessLogWakeAt is the queue length at which a request wakes the
	// writer before its next tick, so that a busy server writes in batches
	// long before the queue fills, and an idle one is not woken per line.
	accessLogWakeAt = accessLogQueue / 4
	// accessLogFlushEvery bounds how long a line waits to be written.
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
// the request appends a record to a bounded queue under a mutex (or counts
// a drop when it is full); one goroutine takes the whole queue at once,
// formats it and writes it in one write, every second, when the queue is
// a quarter full, and on Close. Lines hold no header, so never a key or
// the admin token.
type accessLog struct {
	out     io.Writer
	mu      sync.Mutex
	pending []accessRecord // the queue; swapped with the writer's spare slice
	closed  bool
	wake    chan struct{} // capacity 1: a wake-up is pending or not
	dropped atomic.Int64
	done    chan struct{}

	// Used by the writer goroutine only.
	spare  []accessRecord
	buf    bytes.Buffer
	format slog.Handler
}

func newAccessLog(out io.Writer) *accessLog {
	l := &accessLog{
		out:     out,
		pending: make([]accessRecord, 0, accessLogQueue),
		spare:   make([]accessRecord, 0, accessLogQueue),
		wake:    make(chan struct{}, 1),
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
		l.add(accessRecord{at: start, method: r.Method, path: r.URL.Path, status: rec.status, duration: time.Since(start)})
	})
}

func (l *accessLog) add(rec accessRecord) {
	l.mu.Lock()
	if l.closed || len(l.pending) == cap(l.pending) {
		l.mu.Unlock()
		l.dropped.Add(1)
		return
	}
	l.pending = append(l.pending, rec)
	n := len(l.pending)
	l.mu.Unlock()
	if n == accessLogWakeAt {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// Close writes every line queued so far and stops the writer. Call it
// once the HTTP server has shut down, so that every request has queued its
// line; a line queued later is dropped.
func (l *accessLog) Close() {
	l.mu.Lock()
	already := l.closed
	l.closed = true
	l.mu.Unlock()
	if !already {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	<-l.done
}

func (l *accessLog) write() {
	defer close(l.done)
	ticker := time.NewTicker(accessLogFlushEvery)
	defer ticker.Stop()
	var reportedDrops int64
	for {
		select {
		case <-l.wake:
		case <-ticker.C:
		}
		l.mu.Lock()
		batch := l.pending
		l.pending, l.spare = l.spare[:0], nil
		closed := l.closed
		l.mu.Unlock()
		for _, rec := range batch {
			l.append(rec)
		}
		reportedDrops = l.reportDrops(reportedDrops)
		l.flush()
		clear(batch) // drop the references to request paths
		l.spare = batch[:0]
		if closed {
			return
		}
	}
}

func (l *accessLog) append(rec accessRecord) {
	r := slog.NewRecord(rec.at, slog.LevelInfo, "request", 0)
	r.AddAttrs(
		slog.String("method", clipField(apikey.RedactKeyLike(rec.method))),
		slog.String("path", clipField(apikey.RedactKeyLike(rec.path))),
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

// flush writes the formatted lines in one write.
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
