package server

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/embellama/embellama/embed"
)

// metrics are the server's Prometheus collectors. The request metrics are
// labelled by route (the routing table's pattern, "unmatched" for a 404
// without a route), model (a loaded model's name, "" when the request
// named none that resolved, "other" otherwise) and, for the counter,
// code: every label has a bounded set of values, whatever clients send.
type metrics struct {
	requests   *prometheus.CounterVec
	inputs     prometheus.Counter
	tokens     prometheus.Counter
	latency    *prometheus.HistogramVec
	queueWait  *prometheus.HistogramVec
	evaluation *prometheus.HistogramVec
	reqTokens  *prometheus.HistogramVec
	batchFill  prometheus.Histogram
	batchSeqs  prometheus.Histogram
}

// The labels of the request metrics.
var (
	requestLabels = []string{"route", "model", "code"}
	timingLabels  = []string{"route", "model"}
)

func newMetrics(reg prometheus.Registerer, e Engine) (*metrics, error) {
	seconds := prometheus.ExponentialBuckets(0.0005, 2, 18) // 0.5 ms to about 65 s
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "embellama_requests_total", Help: "HTTP requests by route, model and status code.",
		}, requestLabels),
		inputs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "embellama_inputs_total", Help: "Inputs (texts or token arrays) received.",
		}),
		tokens: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "embellama_tokens_total", Help: "Tokens embedded in successful requests.",
		}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "embellama_request_duration_seconds", Help: "Time to answer a request, by route and model.",
			Buckets: seconds,
		}, timingLabels),
		queueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "embellama_queue_wait_seconds", Help: "Time a request's inputs waited in the model's queue before a worker took the first.",
			Buckets: seconds,
		}, timingLabels),
		evaluation: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "embellama_evaluation_seconds", Help: "Time from a worker taking a request's first input to its last one evaluated.",
			Buckets: seconds,
		}, timingLabels),
		reqTokens: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "embellama_request_tokens", Help: "Tokens evaluated per request.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10), // 1 to 262144
		}, timingLabels),
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
	for _, c := range []prometheus.Collector{m.requests, m.inputs, m.tokens, m.latency, m.queueWait, m.evaluation,
		m.reqTokens, m.batchFill, m.batchSeqs, queue} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe records a request; model is its metrics label (modelLabel).
// The engine's timings are recorded for requests that reached it.
func (m *metrics) observe(a access, model string) {
	m.requests.WithLabelValues(a.route, model, strconv.Itoa(a.status)).Inc()
	m.latency.WithLabelValues(a.route, model).Observe(a.duration.Seconds())
	if a.times.Sequences > 0 {
		m.queueWait.WithLabelValues(a.route, model).Observe(a.times.QueueWait().Seconds())
		m.evaluation.WithLabelValues(a.route, model).Observe(a.times.Evaluation().Seconds())
		m.reqTokens.WithLabelValues(a.route, model).Observe(float64(a.times.Tokens))
	}
}

func (m *metrics) observeBatch(b embed.BatchInfo) {
	if b.Budget > 0 {
		m.batchFill.Observe(float64(b.Tokens) / float64(b.Budget))
	}
	m.batchSeqs.Observe(float64(b.Sequences))
}
