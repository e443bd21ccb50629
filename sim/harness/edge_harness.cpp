// Fast frame harness for fcnn_edge_core (hw/rtl/fcnn_edge_core.md).
//
// A plain C API over one Verilated model (on the shared fcnn_harness.h), loaded
// from Python with ctypes by sim/edge_harness.py; sim/edge_harness_build.py builds
// it once per parameter set (PPC, MAX_WIDTH, MAX_HEIGHT). What is the edge core's
// own: the video framing (tuser on a frame's first beat only, tlast on each line's
// last beat, PPC pixels per beat, unused high lanes zero at the output, junk at the
// input) and the WIDTH/HEIGHT writes between frames (through the header's AXI4-Lite
// master).
//
// Return codes of the eh_* functions: fh::kOk, kTimeout, kProtocol, kBadArg.
// eh_error() gives the message of the last failure.

#include <cstdint>

#include "Vfcnn_edge_core.h"
#include "Vfcnn_edge_core___024root.h"
#include "fcnn_harness.h"

FH_FAST_EVAL(Vfcnn_edge_core)

#ifndef EH_PPC
#error "compile with -DEH_PPC=<pixels per clock of the Verilated model>"
#endif
#if !defined(EH_REG_WIDTH) || !defined(EH_REG_HEIGHT)
#error "compile with -DEH_REG_<NAME>=<offset> from fpgacnn.spec.cores.EDGE_REGISTERS"
#endif

#define EH_API FH_API

namespace {

using Top = Vfcnn_edge_core;

constexpr int kPpc = EH_PPC;
// Register offsets: -DEH_REG_<NAME> from fpgacnn.spec.cores.EDGE_REGISTERS.
constexpr uint32_t kRegWidth = EH_REG_WIDTH;
constexpr uint32_t kRegHeight = EH_REG_HEIGHT;
using namespace fh;  // NOLINT: return codes, Traffic, Watchdog

struct Model : fh::ModelBase<Model, Top> {
    void idle_inputs() {
        top->s_axis_tvalid = 0;
        top->s_axis_tuser = 0;
        top->s_axis_tlast = 0;
        top->s_axis_tdata = 0;
        top->m_axis_tready = 0;
        fh::axil_idle(top.get());
    }
};

inline uint64_t beats_per_line(int32_t w) { return (static_cast<uint64_t>(w) + kPpc - 1) / kPpc; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// C API
// ---------------------------------------------------------------------------------------------

EH_API int eh_ppc() { return kPpc; }

FH_COMMON_API(eh, Model, "fcnn_edge_core")

EH_API int eh_axil_write(void* h, uint32_t addr, uint32_t data, uint64_t timeout, uint32_t* resp) {
    return fh::axil_write(static_cast<Model*>(h), addr, data, timeout, resp);
}

EH_API int eh_axil_read(void* h, uint32_t addr, uint32_t* data, uint64_t timeout,
                        uint32_t* resp) {
    return fh::axil_read(static_cast<Model*>(h), addr, data, timeout, resp);
}

// Stream `n` frames back to back and collect the output frames.
//
// in/out: the frames concatenated, frame k is heights[k] x widths[k] bytes, row-major.
// Before frame k's start-of-frame beat is offered, WIDTH/HEIGHT are written if they differ
// from the values in force; those writes are issued as soon as frame k-1's SOF has been
// accepted (the core latches the size at SOF), so streaming never pauses for them.
// idle: probability that the source leaves tvalid low in a cycle where it could start a beat.
// backpressure: probability that the sink holds tready low in a cycle.
// timeout: largest number of consecutive cycles in which no beat moves on either stream.
// stats (4*n + 1 values): for each frame k, cycles (relative to the call's first cycle) of
//   [4k] first input beat accepted, [4k+1] last input beat accepted,
//   [4k+2] first output beat, [4k+3] last output beat; [4n] cycles simulated in total.
EH_API int eh_run(void* h, const uint8_t* in, uint8_t* out, int32_t n, const int32_t* widths,
                  const int32_t* heights, double idle, double backpressure, uint64_t seed,
                  uint64_t timeout, uint64_t* stats) {
    auto* m = static_cast<Model*>(h);
    Top* t = m->top.get();
    if (n < 1) {
        m->fail("expected at least one frame, got %d", n);
        return kBadArg;
    }
    const uint64_t t0 = m->cycle;
    const uint64_t reg_timeout = timeout;

    // Register values in force.
    uint32_t cur_w = 0, cur_h = 0;
    int rc = fh::axil_read(m, kRegWidth, &cur_w, reg_timeout, nullptr);
    if (rc) return rc;
    rc = fh::axil_read(m, kRegHeight, &cur_h, reg_timeout, nullptr);
    if (rc) return rc;
    cur_w &= 0xFFFF;
    cur_h &= 0xFFFF;

    Traffic traffic(idle, backpressure, seed);

    // Register writes pending for the frame the source will start next.
    fh::AxilWrite wr;
    int pend_w = -1, pend_h = -1;  // values still to write (-1: nothing)
    auto schedule = [&](int k) {
        pend_w = (static_cast<uint32_t>(widths[k]) != cur_w) ? widths[k] : -1;
        pend_h = (static_cast<uint32_t>(heights[k]) != cur_h) ? heights[k] : -1;
    };
    schedule(0);

    // Source state.
    int fi = 0;  // frame being sent
    uint64_t si = 0, sj = 0;  // line, beat within line
    const uint8_t* src = in;
    bool holding = false;
    uint64_t beat = 0;
    bool beat_user = false, beat_last = false;

    // Sink state.
    int fo = 0;
    uint64_t oi = 0, oj = 0;
    uint8_t* dst = out;

    Watchdog watchdog(timeout, m->cycle);

    m->idle_inputs();
    bool axil_driven = false;  // the write channel inputs may be non-idle
    while (fo < n) {
        // ---- register writes for the next frame ----
        if (!wr.active) {
            if (pend_w >= 0) {
                wr.start(kRegWidth, static_cast<uint32_t>(pend_w));
                cur_w = static_cast<uint32_t>(pend_w);
                pend_w = -1;
            } else if (pend_h >= 0) {
                wr.start(kRegHeight, static_cast<uint32_t>(pend_h));
                cur_h = static_cast<uint32_t>(pend_h);
                pend_h = -1;
            }
        }
        if (wr.active || axil_driven) {
            wr.drive(t);  // all low again once the write is done
            axil_driven = wr.active;
        }
        // ---- video source ----
        if (!holding && fi < n) {
            const bool sof = (si == 0 && sj == 0);
            const bool regs_ready = !wr.active && pend_w < 0 && pend_h < 0;
            if ((!sof || regs_ready) && !traffic.idle()) {
                const int32_t w = widths[fi];
                const uint64_t x0 = sj * kPpc;
                const uint8_t* row = src + si * static_cast<uint64_t>(w);
                uint64_t v = 0;
                for (int l = 0; l < kPpc; ++l) {
                    // Unused lanes of a line's last beat carry junk: the core must ignore it.
                    const uint64_t px = (x0 + l < static_cast<uint64_t>(w)) ? row[x0 + l] : 0xFF;
                    v |= px << (8 * l);
                }
                beat = v;
                beat_user = sof;
                beat_last = (sj + 1 == beats_per_line(w));
                holding = true;
            }
        }
        t->s_axis_tvalid = holding;
        t->s_axis_tdata = beat;
        t->s_axis_tuser = holding && beat_user;
        t->s_axis_tlast = holding && beat_last;
        // ---- video sink ----
        const bool tready = traffic.ready();
        t->m_axis_tready = tready;

        m->settle();

        // ---- handshakes of this cycle ----
        const uint64_t now = m->cycle - t0;
        if (wr.sample(t) && wr.resp != 0) {
            m->fail("AXI4-Lite write to 0x%02X answered with bresp=%u", wr.addr, wr.resp);
            m->rise();
            return kProtocol;
        }
        if (holding && t->s_axis_tready) {
            holding = false;
            watchdog.moved(m->cycle);
            const int32_t w = widths[fi];
            if (si == 0 && sj == 0) {
                stats[4 * fi] = now;
                // The core has latched this frame's size: the next frame's writes may go.
                if (fi + 1 < n) schedule(fi + 1);
            }
            if (++sj == beats_per_line(w)) {
                sj = 0;
                if (++si == static_cast<uint64_t>(heights[fi])) {
                    stats[4 * fi + 1] = now;
                    src += static_cast<uint64_t>(w) * heights[fi];
                    si = 0;
                    ++fi;
                }
            }
        }
        if (tready && t->m_axis_tvalid) {
            watchdog.moved(m->cycle);
            const int32_t w = widths[fo];
            const uint64_t bpl = beats_per_line(w);
            const bool user = t->m_axis_tuser;
            const bool last = t->m_axis_tlast;
            const uint64_t data = static_cast<uint64_t>(t->m_axis_tdata);
            const bool exp_user = (oi == 0 && oj == 0);
            const bool exp_last = (oj + 1 == bpl);
            if (user != exp_user || last != exp_last) {
                m->fail("output frame %d (%dx%d), line %llu, beat %llu of %llu: tuser=%d tlast=%d, "
                        "expected tuser=%d tlast=%d",
                        fo, w, heights[fo], static_cast<unsigned long long>(oi),
                        static_cast<unsigned long long>(oj), static_cast<unsigned long long>(bpl),
                        user, last, exp_user, exp_last);
                m->rise();
                return kProtocol;
            }
            const uint64_t x0 = oj * kPpc;
            uint8_t* row = dst + oi * static_cast<uint64_t>(w);
            for (int l = 0; l < kPpc; ++l) {
                const uint8_t px = static_cast<uint8_t>(data >> (8 * l));
                if (x0 + l < static_cast<uint64_t>(w)) {
                    row[x0 + l] = px;
                } else if (px != 0) {
                    m->fail("output frame %d (%dx%d), line %llu, last beat: unused lane %d is "
                            "0x%02X, expected 0",
                            fo, w, heights[fo], static_cast<unsigned long long>(oi), l, px);
                    m->rise();
                    return kProtocol;
                }
            }
            if (oi == 0 && oj == 0) stats[4 * fo + 2] = now;
            if (++oj == bpl) {
                oj = 0;
                if (++oi == static_cast<uint64_t>(heights[fo])) {
                    stats[4 * fo + 3] = now;
                    dst += static_cast<uint64_t>(w) * heights[fo];
                    oi = 0;
                    ++fo;
                }
            }
        }
        m->rise();
        if (watchdog.expired(m->cycle)) {
            m->fail("no stream progress for %llu cycles: input at frame %d line %llu beat %llu "
                    "(tvalid=%d, s_axis_tready=%d), output at frame %d line %llu beat %llu "
                    "(m_axis_tvalid=%d)",
                    static_cast<unsigned long long>(timeout), fi,
                    static_cast<unsigned long long>(si), static_cast<unsigned long long>(sj),
                    holding, t->s_axis_tready, fo, static_cast<unsigned long long>(oi),
                    static_cast<unsigned long long>(oj), t->m_axis_tvalid);
            return kTimeout;
        }
    }
    stats[4 * n] = m->cycle - t0;

    // Drain: nothing more may come out once every frame has been received.
    return expect_quiet(m, beats_per_line(widths[n - 1]) + 16, [&](uint64_t i) {
        m->fail("unexpected output beat %llu cycles after the last frame's last beat "
                "(tuser=%d tlast=%d)",
                static_cast<unsigned long long>(i), t->m_axis_tuser, t->m_axis_tlast);
    });
}
