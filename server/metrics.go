package server

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/embellama/embellama/embed"
)

type metrics struct {
	requests  *prometheus.CounterVec
	inputs    prometheus.Counter
	tokens    prometheus.Counter
	latency   prometheus.Histogram
	batchFill prometheus.Histogram
	batchSeqs prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, e Engine) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "embellama_requests_total", Help: "Embedding requests by HTTP status.",
		}, []string{"code"}),
		inputs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "embellama_inputs_total", Help: "Inputs (texts or token arrays) received.",
		}),
		tokens: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "embellama_tokens_total", Help: "Tokens embedded in successful requests.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "embellama_request_duration_seconds", Help: "Time to answer an embedding request.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		batchFill: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "embellama_batch_fill_ratio", Help: "Tokens of each decode over its token budget.",
			Buckets: []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1},
		}),
		batchSeqs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "embellama_batch_sequences", Help: "Texts packed into each decode.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 9),
		}),
	}
	queue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "embellama_queue_depth", Help: "Texts waiting for a batch, all models.",
	}, func() float64 {
		total := 0
		for _, name := range e.Models() {
			if st, err := e.Stats(name); err == nil {
				total += st.Queued
			}
		}
		return float64(total)
	})
	for _, c := range []prometheus.Collector{m.requests, m.inputs, m.tokens, m.latency, m.batchFill, m.batchSeqs, queue} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) observeRequest(code int, d time.Duration) {
	m.requests.WithLabelValues(strconv.Itoa(code)).Inc()
	m.latency.Observe(d.Seconds())
}

func (m *metrics) observeBatch(b embed.BatchInfo) {
	if b.Budget > 0 {
		m.batchFill.Observe(float64(b.Tokens) / float64(b.Budget))
	}
	m.batchSeqs.Observe(float64(b.Sequences))
}
