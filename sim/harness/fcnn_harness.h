// What every fpgacnn Verilator harness shares (sim/verilator_build.py builds them).
//
// A harness is a plain C API over one Verilated model, loaded from Python with
// ctypes (sim/harness_base.py). This header gives each harness the same:
//
//   * return codes (fh::kOk, kTimeout, kProtocol, kBadArg), which the Python base
//     turns into StreamTimeoutError / StreamProtocolError / SimulationError;
//   * the RNG of idle and backpressure patterns (xorshift64*, deterministic per seed);
//   * the clocking of one cycle: drive inputs, settle() with clk low so
//     combinational outputs settle, sample the handshakes, rise() for the edge;
//   * the model's life: create (state the RTL does not reset at zero or at seeded
//     random values), destroy, the last error message, the cycle count, reset;
//   * FH_COMMON_API(prefix, Model, "name"), which emits <prefix>_create, _destroy,
//     _error, _cycle and _reset for a harness's Model.
//
// A harness defines `struct Model : fh::ModelBase<Model, Top>` with eval() (its
// model's fastest evaluation) and idle_inputs() (every input at rest), and keeps
// only what differs: stream framing, packing, registers.

#pragma once

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "verilated.h"

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
        static_cast<Derived*>(this)->eval();
    }
    // The rising edge that ends this cycle.
    inline void rise() {
        top->clk = 1;
        static_cast<Derived*>(this)->eval();
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
