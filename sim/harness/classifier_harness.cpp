// Fast image harness for the generated classifier core fcnn_classifier
// (hw/rtlgen; DESIGN.md, "Classifier core").
//
// A plain C API over one Verilated model (on the shared fcnn_harness.h), loaded
// from Python with ctypes by sim/classifier_harness.py, which also builds it once
// per generated core (the hash of its RTL files names the build). What is the
// classifier's own: the source offers one pixel (all channels) per beat, images
// back to back, tlast on each image's last pixel; the sink expects one beat per
// image with tlast set. TDATA of either stream may be any width; both sides are
// exchanged with Python as little-endian arrays of 32-bit words.
//
// Return codes of the ch_* functions: fh::kOk, kTimeout, kProtocol, kBadArg.
// ch_error() gives the message of the last failure.

#include <cstdint>
#include <utility>

#include "Vfcnn_classifier.h"
#include "Vfcnn_classifier___024root.h"
#include "fcnn_harness.h"

FH_FAST_EVAL(Vfcnn_classifier)

#define CH_API FH_API

namespace {

using Top = Vfcnn_classifier;
using namespace fh;  // NOLINT: return codes, Traffic, Watchdog, words of a port

constexpr int kInWords = Words<PortT<decltype(std::declval<Top&>().s_axis_tdata)>>::n;
constexpr int kOutWords = Words<PortT<decltype(std::declval<Top&>().m_axis_tdata)>>::n;

struct Model : fh::ModelBase<Model, Top> {
    uint32_t zero[kInWords] = {0};

    void idle_inputs() {
        top->s_axis_tvalid = 0;
        top->s_axis_tlast = 0;
        put_words(top->s_axis_tdata, zero);
        top->m_axis_tready = 0;
    }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// C API
// ---------------------------------------------------------------------------------------------

// 32-bit words of s_axis_tdata / m_axis_tdata as Verilated.
CH_API int ch_in_words() { return kInWords; }
CH_API int ch_out_words() { return kOutWords; }

FH_COMMON_API(ch, Model, "fcnn_classifier")

// Stream `n` images of `pixels` beats each back to back and collect one output beat per image.
//
// in: n * pixels beats of ch_in_words() words each; out: n beats of ch_out_words() words.
// idle: probability that the source leaves tvalid low in a cycle where it could offer a beat.
// backpressure: probability that the sink holds tready low in a cycle.
// timeout: largest number of consecutive cycles in which no beat moves on either stream.
// drain: cycles, after the last result, in which no further output beat may appear.
// stats (3*n + 1 values): for image k, cycles (relative to the call's first cycle) of
//   [3k] first pixel accepted, [3k+1] last pixel accepted, [3k+2] result beat taken;
//   [3n] cycles simulated until the last result.
CH_API int ch_run(void* h, const uint32_t* in, uint32_t* out, int64_t n, int64_t pixels,
                  double idle, double backpressure, uint64_t seed, uint64_t timeout,
                  uint64_t drain, uint64_t* stats) {
    auto* m = static_cast<Model*>(h);
    Top* t = m->top.get();
    if (n < 1 || pixels < 1) {
        m->fail("expected at least one image of at least one pixel, got %lld x %lld",
                static_cast<long long>(n), static_cast<long long>(pixels));
        return kBadArg;
    }
    const uint64_t t0 = m->cycle;
    Traffic traffic(idle, backpressure, seed);

    int64_t si = 0, sp = 0;  // image and pixel the source offers next
    bool holding = false;
    const uint32_t* beat = in;
    int64_t so = 0;  // results received
    uint32_t word[kOutWords];
    Watchdog watchdog(timeout, m->cycle);

    m->idle_inputs();
    while (so < n) {
        if (!holding && si < n && !traffic.idle()) {
            beat = in + (si * pixels + sp) * kInWords;
            holding = true;
        }
        t->s_axis_tvalid = holding;
        t->s_axis_tlast = holding && sp + 1 == pixels;
        put_words(t->s_axis_tdata, holding ? beat : m->zero);
        const bool tready = traffic.ready();
        t->m_axis_tready = tready;

        m->settle();

        const uint64_t now = m->cycle - t0;
        if (holding && t->s_axis_tready) {
            holding = false;
            watchdog.moved(m->cycle);
            if (sp == 0) stats[3 * si] = now;
            if (++sp == pixels) {
                stats[3 * si + 1] = now;
                sp = 0;
                ++si;
            }
        }
        if (tready && t->m_axis_tvalid) {
            watchdog.moved(m->cycle);
            if (!t->m_axis_tlast) {
                m->fail("result beat of image %lld has tlast=0, expected 1 (one beat per image)",
                        static_cast<long long>(so));
                m->rise();
                return kProtocol;
            }
            if (so >= si) {  // a result before its image's last pixel was accepted
                m->fail("result beat %lld appeared before the last pixel of image %lld was "
                        "accepted", static_cast<long long>(so), static_cast<long long>(so));
                m->rise();
                return kProtocol;
            }
            get_words(t->m_axis_tdata, word);
            for (int i = 0; i < kOutWords; ++i) out[so * kOutWords + i] = word[i];
            stats[3 * so + 2] = now;
            ++so;
        }
        m->rise();
        if (watchdog.expired(m->cycle)) {
            m->fail("no stream progress for %llu cycles: input at image %lld pixel %lld "
                    "(s_axis_tvalid=%d, s_axis_tready=%d), %lld of %lld results received "
                    "(m_axis_tvalid=%d)",
                    static_cast<unsigned long long>(timeout), static_cast<long long>(si),
                    static_cast<long long>(sp), holding, t->s_axis_tready,
                    static_cast<long long>(so), static_cast<long long>(n), t->m_axis_tvalid);
            return kTimeout;
        }
    }
    stats[3 * n] = m->cycle - t0;

    return expect_quiet(m, drain, [&](uint64_t i) {
        m->fail("unexpected output beat %llu cycles after the last image's result",
                static_cast<unsigned long long>(i));
    });
}

// Stream `nbeats` input beats with the given tlast flags (a framing-fault stimulus) and
// collect `n_out` result beats (the number the framing policy predicts).
//
// in: nbeats beats of ch_in_words() words; last: nbeats tlast flags (0/1); out: n_out beats.
// idle, backpressure, seed, timeout, drain: as ch_run. stats (1 value): cycles simulated
// until the last beat moved. More results than n_out is kProtocol (as is any result
// without tlast); a stall of `timeout` cycles is kTimeout.
CH_API int ch_run_beats(void* h, const uint32_t* in, const uint8_t* last, int64_t nbeats,
                        uint32_t* out, int64_t n_out, double idle, double backpressure,
                        uint64_t seed, uint64_t timeout, uint64_t drain, uint64_t* stats) {
    auto* m = static_cast<Model*>(h);
    Top* t = m->top.get();
    if (nbeats < 0 || n_out < 0) {
        m->fail("expected beat and result counts >= 0, got %lld and %lld",
                static_cast<long long>(nbeats), static_cast<long long>(n_out));
        return kBadArg;
    }
    const uint64_t t0 = m->cycle;
    Traffic traffic(idle, backpressure, seed);
    int64_t sb = 0, so = 0;  // beats sent, results received
    bool holding = false;
    uint32_t word[kOutWords];
    Watchdog watchdog(timeout, m->cycle);

    m->idle_inputs();
    while (so < n_out || sb < nbeats) {
        if (!holding && sb < nbeats && !traffic.idle()) holding = true;
        t->s_axis_tvalid = holding;
        t->s_axis_tlast = holding && last[sb];
        put_words(t->s_axis_tdata, holding ? in + sb * kInWords : m->zero);
        const bool tready = traffic.ready();
        t->m_axis_tready = tready;

        m->settle();

        if (holding && t->s_axis_tready) {
            holding = false;
            watchdog.moved(m->cycle);
            ++sb;
        }
        if (tready && t->m_axis_tvalid) {
            watchdog.moved(m->cycle);
            if (!t->m_axis_tlast || so >= n_out) {
                m->fail(so >= n_out ? "result beat %lld appeared, %lld expected"
                                    : "result beat %lld has tlast=0, expected 1",
                        static_cast<long long>(so), static_cast<long long>(n_out));
                m->rise();
                return kProtocol;
            }
            get_words(t->m_axis_tdata, word);
            for (int i = 0; i < kOutWords; ++i) out[so * kOutWords + i] = word[i];
            ++so;
        }
        m->rise();
        if (watchdog.expired(m->cycle)) {
            m->fail("no stream progress for %llu cycles: %lld of %lld beats sent "
                    "(s_axis_tready=%d), %lld of %lld results received (m_axis_tvalid=%d)",
                    static_cast<unsigned long long>(timeout), static_cast<long long>(sb),
                    static_cast<long long>(nbeats), t->s_axis_tready, static_cast<long long>(so),
                    static_cast<long long>(n_out), t->m_axis_tvalid);
            return kTimeout;
        }
    }
    stats[0] = m->cycle - t0;

    return expect_quiet(m, drain, [&](uint64_t i) {
        m->fail("unexpected output beat %llu cycles after the last expected result",
                static_cast<unsigned long long>(i));
    });
}
