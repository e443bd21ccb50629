// What every fpgacnn Verilator harness shares (sim/verilator_build.py builds them).
//
// A harness is a plain C API over one Verilated model, loaded from Python with
// ctypes (sim/harness_base.py). This header gives each harness the same:
//
//   * return codes (fh::kOk, kTimeout, kProtocol, kBadArg), which the Python base
//     turns into StreamTimeoutError / StreamProtocolError / SimulationError;
//   * the clocking of one cycle: drive inputs, settle() with clk low so
//     combinational outputs settle, sample the handshakes, rise() for the edge;
//     evaluation calls the model's scheduler directly (FH_FAST_EVAL);
//   * the model's life: create (state the RTL does not reset at zero or at seeded
//     random values), destroy, the last error message, the cycle count, reset;
//   * the stream ends' rules: Traffic, the seeded idle and backpressure pattern
//     (xorshift64*); Watchdog, the stall limit that turns "nothing moved for N
//     cycles" into kTimeout instead of a hang; expect_quiet(), the drain after the
//     last expected output beat; put_words/get_words, TDATA of any width as 32-bit
//     words (Verilator gives ports of up to 64 bits as integers, wider ones as
//     VlWide<N>, word 0 lowest);
//   * the AXI4-Lite master of a core's register port s_axil_* (axil_idle, AxilWrite,
//     AxilRead as per-cycle state machines, axil_write/axil_read as whole accesses
//     bounded by a cycle limit);
//   * FH_COMMON_API(prefix, Model, "name"), which emits <prefix>_create, _destroy,
//     _error, _cycle and _reset for a harness's Model.
//
// A harness includes its model's headers, then this one, then FH_FAST_EVAL(V<top>);
// it defines `struct Model : fh::ModelBase<Model, Top>` with idle_inputs() (every
// input at rest), and keeps only what differs: stream framing, packing, registers.
// The AXI4-Stream source keeps tvalid and its beat until they are accepted (AXI
// rule): Traffic::idle() only ever delays the *next* beat.

#pragma once

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <type_traits>

#include "verilated.h"

// FH_FAST_EVAL(V) makes fh_eval(V*) call the model's scheduler directly. V::eval()
// wraps the same call with bookkeeping for dynamic objects and multi-threaded message
// queues (a mutex round trip per call) that a single-threaded model without classes
// never needs; skipping it roughly halves the cost of a cycle. The first evaluation
// (initial blocks) always goes through eval(). Build with -DFH_GENERIC_EVAL to use
// eval() throughout (e.g. if a future Verilator renames the internal entry point).
#ifdef FH_GENERIC_EVAL
#define FH_FAST_EVAL(V) \
    inline void fh_eval(V* top) { top->eval(); }
#else
#define FH_FAST_EVAL(V)                              \
    void V##___024root___eval(V##___024root* vlSelf); \
    inline void fh_eval(V* top) { V##___024root___eval(top->rootp); }
#endif

namespace fh {

constexpr int kOk = 0;
constexpr int kTimeout = 1;
constexpr int kProtocol = 2;
constexpr int kBadArg = 3;

// xorshift64*: fast, deterministic per seed.
struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL) {
        if (s == 0) s = 1;
    }
    inline uint32_t next() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return static_cast<uint32_t>((s * 0x2545F4914F6CDD1DULL) >> 32);
    }
};

// Probability p in [0, 1) -> 32-bit threshold: event when rng.next() < threshold.
inline uint64_t prob_threshold(double p) {
    if (p <= 0.0) return 0;
    return static_cast<uint64_t>(p * 4294967296.0);
}

// The random idle of a source and backpressure of a sink, one generator per run. A
// draw happens only when its probability is non-zero, so a run without stalls does
// not consume random numbers.
struct Traffic {
    Rng rng;
    uint64_t idle_thr, bp_thr;
    Traffic(double idle, double backpressure, uint64_t seed)
        : rng(seed), idle_thr(prob_threshold(idle)), bp_thr(prob_threshold(backpressure)) {}
    // The source could offer a beat this cycle: does it stay idle instead?
    inline bool idle() { return idle_thr && rng.next() < idle_thr; }
    // The sink's tready of this cycle.
    inline bool ready() { return !(bp_thr && rng.next() < bp_thr); }
};

// The stall limit: at most `timeout` consecutive cycles in which no beat moves.
struct Watchdog {
    uint64_t timeout, last;
    Watchdog(uint64_t timeout_cycles, uint64_t now) : timeout(timeout_cycles), last(now) {}
    inline void moved(uint64_t now) { last = now; }
    inline bool expired(uint64_t now) const { return now - last > timeout; }
};

// Number of 32-bit words of a Verilated port type.
template <class T>
struct Words {
    static constexpr int n = sizeof(T) <= 4 ? 1 : 2;
};
template <std::size_t N>
struct Words<VlWide<N>> {
    static constexpr int n = static_cast<int>(N);
};
template <class P>
using PortT = std::remove_cv_t<std::remove_reference_t<P>>;

// Drive a port from 32-bit words (word 0 lowest) / read it into words.
template <class T>
inline void put_words(T& port, const uint32_t* w) {
    if constexpr (sizeof(T) > 4) {
        port = static_cast<T>(static_cast<uint64_t>(w[0]) | (static_cast<uint64_t>(w[1]) << 32));
    } else {
        port = static_cast<T>(w[0]);
    }
}
template <std::size_t N>
inline void put_words(VlWide<N>& port, const uint32_t* w) {
    for (std::size_t i = 0; i < N; ++i) port[i] = w[i];
}
template <class T>
inline void get_words(const T& port, uint32_t* w) {
    const uint64_t v = static_cast<uint64_t>(port);
    w[0] = static_cast<uint32_t>(v);
    if constexpr (sizeof(T) > 4) w[1] = static_cast<uint32_t>(v >> 32);
}
template <std::size_t N>
inline void get_words(const VlWide<N>& port, uint32_t* w) {
    for (std::size_t i = 0; i < N; ++i) w[i] = port[i];
}

// The Verilated model, its context, the cycle count and the last error message.
template <class Derived, class TopT>
struct ModelBase {
    using Top = TopT;
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Top> top;
    uint64_t cycle = 0;
    char err[1024] = {0};

    void fail(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, sizeof err, fmt, ap);
        va_end(ap);
    }
    // Inputs are set for this cycle: let combinational outputs settle (clk low).
    inline void settle() {
        top->clk = 0;
        fh_eval(top.get());
    }
    // The rising edge that ends this cycle.
    inline void rise() {
        top->clk = 1;
        fh_eval(top.get());
        ++cycle;
    }
};

// Create a model. State the RTL does not reset starts at zero (random_init == 0) or at
// random values drawn from `seed` (random_init != 0).
template <class M>
M* create(int random_init, uint64_t seed, const char* name) {
    auto* m = new M;
    m->ctx = std::make_unique<VerilatedContext>();
    m->ctx->randReset(random_init ? 2 : 0);
    m->ctx->randSeed(static_cast<int>(seed & 0x7FFFFFFF));
    m->top = std::make_unique<typename M::Top>(m->ctx.get(), name);
    m->idle_inputs();
    m->top->rst = 1;
    m->top->clk = 0;
    m->top->eval();  // initial blocks, first settle
    return m;
}

template <class M>
void destroy(M* m) {
    if (!m) return;
    m->top->final();
    delete m;
}

// Hold rst high for `cycles` cycles (at least 1) with all inputs idle, then release it.
template <class M>
void reset(M* m, int cycles) {
    m->idle_inputs();
    m->top->rst = 1;
    for (int i = 0; i < (cycles < 1 ? 1 : cycles); ++i) {
        m->settle();
        m->rise();
    }
    m->top->rst = 0;
    m->settle();
}

// After the last expected output beat: `cycles` cycles with every input idle and
// m_axis_tready high in which no further beat may appear. On one, `report(i)` sets the
// message (i = cycles since the drain began) and the result is kProtocol.
template <class M, class Report>
int expect_quiet(M* m, uint64_t cycles, Report&& report) {
    for (uint64_t i = 0; i < cycles; ++i) {
        m->idle_inputs();
        m->top->m_axis_tready = 1;
        m->settle();
        if (m->top->m_axis_tvalid) {
            report(i);
            m->rise();
            return kProtocol;
        }
        m->rise();
    }
    m->idle_inputs();
    m->settle();
    return kOk;
}

// ---- AXI4-Lite master (a core's register port s_axil_*) ----

// Sideband ports the RTL may or may not have: set them when present.
template <class T>
auto axil_set_prot(T* t) -> decltype(t->s_axil_awprot = 0, t->s_axil_arprot = 0, void()) {
    t->s_axil_awprot = 0;
    t->s_axil_arprot = 0;
}
inline void axil_set_prot(...) {}
template <class T>
auto axil_set_wstrb(T* t, uint32_t v) -> decltype(t->s_axil_wstrb = 0, void()) {
    t->s_axil_wstrb = v;
}
inline void axil_set_wstrb(...) {}

// Every master output of the register port at rest (for a Model's idle_inputs()).
template <class T>
inline void axil_idle(T* t) {
    t->s_axil_awvalid = 0;
    t->s_axil_wvalid = 0;
    t->s_axil_bready = 0;
    t->s_axil_arvalid = 0;
    t->s_axil_rready = 0;
    t->s_axil_awaddr = 0;
    t->s_axil_araddr = 0;
    t->s_axil_wdata = 0;
    axil_set_wstrb(t, 0xF);
    axil_set_prot(t);
}

// One AXI4-Lite write as a per-cycle state machine (address and data offered together).
struct AxilWrite {
    bool active = false, aw_done = false, w_done = false;
    uint32_t addr = 0, data = 0, resp = 0;
    void start(uint32_t a, uint32_t d) {
        active = true;
        aw_done = w_done = false;
        addr = a;
        data = d;
    }
    template <class T>
    inline void drive(T* t) const {
        t->s_axil_awvalid = active && !aw_done;
        t->s_axil_awaddr = addr;
        t->s_axil_wvalid = active && !w_done;
        t->s_axil_wdata = data;
        t->s_axil_bready = active;
    }
    // Sample after settle(); returns true on the cycle the response is taken.
    template <class T>
    inline bool sample(const T* t) {
        if (!active) return false;
        if (t->s_axil_awvalid && t->s_axil_awready) aw_done = true;
        if (t->s_axil_wvalid && t->s_axil_wready) w_done = true;
        if (t->s_axil_bvalid) {  // bready is high while active
            resp = t->s_axil_bresp;
            active = false;
            return true;
        }
        return false;
    }
};

// One AXI4-Lite read as a per-cycle state machine.
struct AxilRead {
    bool active = false, ar_done = false;
    uint32_t addr = 0, data = 0, resp = 0;
    void start(uint32_t a) {
        active = true;
        ar_done = false;
        addr = a;
    }
    template <class T>
    inline void drive(T* t) const {
        t->s_axil_arvalid = active && !ar_done;
        t->s_axil_araddr = addr;
        t->s_axil_rready = active;
    }
    template <class T>
    inline bool sample(const T* t) {
        if (!active) return false;
        if (t->s_axil_arvalid && t->s_axil_arready) ar_done = true;
        if (t->s_axil_rvalid) {
            data = t->s_axil_rdata;
            resp = t->s_axil_rresp;
            active = false;
            return true;
        }
        return false;
    }
};

// A whole register write with every other input idle; kTimeout after `timeout` cycles.
template <class M>
int axil_write(M* m, uint32_t addr, uint32_t data, uint64_t timeout, uint32_t* resp) {
    AxilWrite w;
    w.start(addr, data);
    const uint64_t t0 = m->cycle;
    for (;;) {
        m->idle_inputs();
        w.drive(m->top.get());
        m->settle();
        const bool done = w.sample(m->top.get());
        m->rise();
        if (done) break;
        if (m->cycle - t0 > timeout) {
            m->fail("AXI4-Lite write to 0x%02X timed out after %llu cycles (awready/wready/bvalid "
                    "handshake incomplete: aw_done=%d w_done=%d)",
                    addr, static_cast<unsigned long long>(timeout), w.aw_done, w.w_done);
            return kTimeout;
        }
    }
    m->idle_inputs();
    if (resp) *resp = w.resp;
    return kOk;
}

// A whole register read with every other input idle; kTimeout after `timeout` cycles.
template <class M>
int axil_read(M* m, uint32_t addr, uint32_t* data, uint64_t timeout, uint32_t* resp) {
    AxilRead r;
    r.start(addr);
    const uint64_t t0 = m->cycle;
    for (;;) {
        m->idle_inputs();
        r.drive(m->top.get());
        m->settle();
        const bool done = r.sample(m->top.get());
        m->rise();
        if (done) break;
        if (m->cycle - t0 > timeout) {
            m->fail("AXI4-Lite read of 0x%02X timed out after %llu cycles (ar_done=%d)", addr,
                    static_cast<unsigned long long>(timeout), r.ar_done);
            return kTimeout;
        }
    }
    m->idle_inputs();
    if (data) *data = r.data;
    if (resp) *resp = r.resp;
    return kOk;
}

}  // namespace fh

#define FH_API extern "C" __attribute__((visibility("default")))

// The common C API of a harness whose functions start with `P` (e.g. eh, ch).
#define FH_COMMON_API(P, MODEL, NAME)                                                     \
    FH_API void* P##_create(int random_init, uint64_t seed) {                             \
        return fh::create<MODEL>(random_init, seed, NAME);                                \
    }                                                                                     \
    FH_API void P##_destroy(void* h) { fh::destroy(static_cast<MODEL*>(h)); }            \
    FH_API const char* P##_error(void* h) { return static_cast<MODEL*>(h)->err; }         \
    FH_API uint64_t P##_cycle(void* h) { return static_cast<MODEL*>(h)->cycle; }          \
    FH_API void P##_reset(void* h, int cycles) { fh::reset(static_cast<MODEL*>(h), cycles); }
