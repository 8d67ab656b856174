// Latencies, ns, in buckets 2^(1/32) apart (2.2 % wide) from 1 µs to about
// 18 min: small enough to send from every worker, merged by adding.

const PER_OCTAVE = 32;
const FLOOR_NS = 1000;
const BUCKETS = PER_OCTAVE * 40;

export class Histogram {
  constructor(counts = null, max = 0) {
    this.counts = counts ?? new Array(BUCKETS).fill(0);
    this.max = max;
  }

  /** Counts one latency of `ns` nanoseconds. */
  record(ns) {
    const v = ns > FLOOR_NS ? ns : FLOOR_NS;
    const i = Math.min(BUCKETS - 1, Math.floor(Math.log2(v / FLOOR_NS) * PER_OCTAVE));
    this.counts[i]++;
    if (ns > this.max) this.max = ns;
  }

  /** How many were counted. */
  count() {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }

  /** Adds `other`'s counts to these. */
  merge(other) {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    if (other.max > this.max) this.max = other.max;
    return this;
  }

  /** The value below which a share `q` of the counts fall (the bucket's middle), ns; null if empty. */
  quantile(q) {
    const n = this.count();
    if (n === 0) return null;
    if (q >= 1) return this.max;
    const rank = Math.max(1, Math.ceil(q * n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        const middle = FLOOR_NS * 2 ** ((i + 0.5) / PER_OCTAVE);
        return Math.min(middle, this.max);
      }
    }
    return this.max;
  }

  /** As plain data (for IPC and JSON): only the buckets in use. */
  toJSON() {
    const used = {};
    this.counts.forEach((c, i) => {
      if (c > 0) used[i] = c;
    });
    return { used, max: this.max };
  }

  /** Reads what toJSON wrote. */
  static fromJSON({ used, max }) {
    const h = new Histogram(null, max);
    for (const [i, c] of Object.entries(used)) h.counts[Number(i)] = c;
    return h;
  }

  /** p50, p90, p99, p99.9 and max as JSON, ns. */
  summary() {
    const q = (x) => (this.quantile(x) === null ? null : Math.round(this.quantile(x)));
    return {
      count: this.count(),
      p50_ns: q(0.5),
      p90_ns: q(0.9),
      p99_ns: q(0.99),
      p999_ns: q(0.999),
      max_ns: this.count() === 0 ? null : this.max,
    };
  }
}
