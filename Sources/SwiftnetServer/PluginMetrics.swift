import CoreMetrics
import Prometheus
import Synchronization
import SwiftnetOperator

/// The server's metrics, through swift-metrics' API onto a Prometheus registry of its own
/// (not the process-wide bootstrap, so a test can run several servers in one process).
/// Per request: a counter by call and status, a latency histogram by call. On each scrape:
/// gauges for networks, endpoints and every pool, refreshed from the state.
package final class PluginMetrics: Sendable {
    package let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// A call's handles, made on its first request (making one takes the registry's lock and
    /// a lookup): one dictionary lookup per request after that.
    private struct CallMetrics {
        var latency: CoreMetrics.Timer
        var counters: [Int: CoreMetrics.Counter] = [:]
    }
    private let calls = Mutex<[String: CallMetrics]>([:])
    private let repairCounters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let poolGauges = Mutex<[String: [CoreMetrics.Gauge]]>([:])
    private let totals: (networks: CoreMetrics.Gauge, endpoints: CoreMetrics.Gauge, allocations: CoreMetrics.Gauge, pools: CoreMetrics.Gauge)

    /// Plugin calls take tens of microseconds; netlink work a millisecond or more.
    static let latencyBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
        .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(1000),
    ]

    package init(version: String) {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["swiftnet_request_duration_seconds"] = PluginMetrics.latencyBuckets
        self.factory = factory
        CoreMetrics.Gauge(label: "swiftnet_build_info", dimensions: [("version", version)], factory: factory).record(1)
        totals = (CoreMetrics.Gauge(label: "swiftnet_networks", factory: factory), CoreMetrics.Gauge(label: "swiftnet_endpoints", factory: factory),
                  CoreMetrics.Gauge(label: "swiftnet_allocations", factory: factory), CoreMetrics.Gauge(label: "swiftnet_pools", factory: factory))
    }

    /// One answered request. `call` is the plugin call (`IpamDriver.RequestAddress`) or
    /// `unknown`, so that a client cannot make label values up.
    package func requestFinished(call: String, status: Int, duration: Duration) {
        let (counter, timer) = calls.withLock { calls in
            var metrics = calls[call] ?? CallMetrics(latency: CoreMetrics.Timer(
                label: "swiftnet_request_duration_seconds", dimensions: [("call", call)], factory: factory))
            let counter = metrics.counters[status] ?? CoreMetrics.Counter(
                label: "swiftnet_requests_total", dimensions: [("call", call), ("status", String(status))], factory: factory)
            if metrics.counters[status] == nil {
                metrics.counters[status] = counter
                calls[call] = metrics
            }
            return (counter, metrics.latency)
        }
        counter.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }

    /// Repairs made by the reconciliation: at start-up, by `doctor --fix`, by `gc`.
    package func repaired(_ count: Int, by source: String) {
        guard count > 0 else { return }
        let counter = repairCounters.withLock { counters in
            if let counter = counters[source] { return counter }
            let counter = CoreMetrics.Counter(label: "swiftnet_reconcile_repairs_total", dimensions: [("source", source)], factory: factory)
            counters[source] = counter
            return counter
        }
        counter.increment(by: count)
    }

    /// The Prometheus text exposition, with the state gauges brought up to date first.
    package func exposition(of view: StateView) -> [UInt8] {
        totals.networks.record(view.networks.count)
        totals.endpoints.record(view.endpoints.count)
        totals.allocations.record(view.pools.reduce(0) { $0 + $1.allocated })
        totals.pools.record(view.pools.count)
        poolGauges.withLock { gauges in
            let live = Set(view.pools.map(\.id))
            for (id, old) in gauges where !live.contains(id) {
                old.forEach { $0.destroy() }
                gauges[id] = nil
            }
            for pool in view.pools {
                let set = gauges[pool.id] ?? {
                    let labels = [("pool", pool.id), ("prefix", pool.prefix)]
                    let made = [CoreMetrics.Gauge(label: "swiftnet_pool_allocated_addresses", dimensions: labels, factory: factory),
                                CoreMetrics.Gauge(label: "swiftnet_pool_capacity_addresses", dimensions: labels, factory: factory),
                                CoreMetrics.Gauge(label: "swiftnet_pool_utilisation_ratio", dimensions: labels, factory: factory)]
                    gauges[pool.id] = made
                    return made
                }()
                set[0].record(pool.allocated)
                set[1].record(Double(pool.capacity) ?? 0)
                set[2].record(pool.utilisation)
            }
        }
        return registry.emitToBuffer()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
