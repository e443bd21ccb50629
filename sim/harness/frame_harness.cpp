// Fast frame harness for the front of the board's frame path (sim/harness/fcnn_frame_front.sv:
// fcnn_rgb2gray and/or fcnn_crop_scale, behind fcnn_axis_broadcast when both are there).
//
// A plain C API over one Verilated model (on the shared fcnn_harness.h), loaded from Python
// with ctypes by sim/frame_harness.py, which builds it once per parameter set. What is the
// front's own: the video source (tuser on a frame's first beat, tlast on each line's last
// beat, PPC pixels of FR_IN_CHANNELS bytes per beat, junk in the unused lanes of a line's
// last beat), and two sinks read in the same cycles: g_axis, the gray video the edge core
// would receive (FR_GRAY), and m_axis, the classifier's input image, one pixel per beat with
// tlast on its last pixel (FR_CROP). The crop block's registers are written between runs
// (fr_axil_write); a run starts at least kRegSettle cycles after the last write, since the
// block takes a geometry at a start of frame offered from the fourth clock after it.
//
// Return codes of the fr_* functions: fh::kOk, kTimeout, kProtocol, kBadArg.
// fr_error() gives the message of the last failure.

#include <cstdint>

#include "Vfcnn_frame_front.h"
#include "Vfcnn_frame_front___024root.h"
#include "fcnn_harness.h"

FH_FAST_EVAL(Vfcnn_frame_front)

#if !defined(FR_PPC) || !defined(FR_IN_CHANNELS) || !defined(FR_GRAY) || !defined(FR_CROP) || \
    !defined(FR_OUT_CHANNELS) || !defined(FR_OUT_PIXELS)
#error "compile with -DFR_PPC, FR_IN_CHANNELS, FR_GRAY, FR_CROP, FR_OUT_CHANNELS, FR_OUT_PIXELS"
#endif

namespace {

using Top = Vfcnn_frame_front;
using namespace fh;  // NOLINT: return codes, Traffic, Watchdog

constexpr int kPpc = FR_PPC;
constexpr int kInChannels = FR_IN_CHANNELS;
constexpr bool kGray = FR_GRAY;
constexpr bool kCrop = FR_CROP;
constexpr int kOutChannels = FR_OUT_CHANNELS;
constexpr uint64_t kOutPixels = FR_OUT_PIXELS;  // classifier input pixels per image
constexpr uint64_t kRegSettle = 4;              // cycles from a register write to a SOF
constexpr uint64_t kDrain = 32;                 // quiet cycles checked after a run
constexpr int kInWords = (8 * kInChannels * kPpc + 31) / 32;

struct Model : fh::ModelBase<Model, Top> {
    uint64_t last_write = 0;  // cycle at which the last register write ended
    void idle_inputs() {
        top->s_axis_tvalid = 0;
        top->s_axis_tuser = 0;
        top->s_axis_tlast = 0;
        const uint32_t zero[kInWords] = {0};
        put_words(top->s_axis_tdata, zero);
        top->g_axis_tready = 0;
        top->m_axis_tready = 0;
        fh::axil_idle(top.get());
    }
};

inline uint64_t beats_per_line(int32_t w) { return (static_cast<uint64_t>(w) + kPpc - 1) / kPpc; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// C API
// ---------------------------------------------------------------------------------------------

// The build's parameters: [ppc, in_channels, gray, crop, out_channels, out_pixels].
FH_API void fr_config(int64_t* out) {
    out[0] = kPpc;
    out[1] = kInChannels;
    out[2] = kGray;
    out[3] = kCrop;
    out[4] = kOutChannels;
    out[5] = static_cast<int64_t>(kOutPixels);
}

FH_COMMON_API(fr, Model, "fcnn_frame_front")

FH_API int fr_axil_write(void* h, uint32_t addr, uint32_t data, uint64_t timeout, uint32_t* resp) {
    auto* m = static_cast<Model*>(h);
    const int rc = fh::axil_write(m, addr, data, timeout, resp);
    m->last_write = m->cycle;
    return rc;
}

FH_API int fr_axil_read(void* h, uint32_t addr, uint32_t* data, uint64_t timeout,
                        uint32_t* resp) {
    return fh::axil_read(static_cast<Model*>(h), addr, data, timeout, resp);
}

// Stream `n` frames of the same size (`width` x `height`) back to back.
//
// in: the frames concatenated, each height x width x FR_IN_CHANNELS bytes, row-major
//   (a colour pixel's bytes in the stream's order, B first for BGR).
// gray (FR_GRAY; else unused, may be null): n x height x width bytes, the g_axis video.
// codes (FR_CROP; else unused): n x FR_OUT_PIXELS x FR_OUT_CHANNELS bytes, the m_axis images.
// idle: probability that the source leaves tvalid low in a cycle where it could start a beat.
// backpressure: probability that a sink holds tready low in a cycle (each sink draws its own).
// timeout: largest number of consecutive cycles in which no beat moves on any stream.
// stats (4*n + 1 values): for each frame k, cycles (relative to the call's first cycle) of
//   [4k] first input beat accepted, [4k+1] last input beat accepted, [4k+2] last gray beat,
//   [4k+3] last code beat (0 for an output the build does not have); [4n] cycles in total.
FH_API int fr_run(void* h, const uint8_t* in, int32_t n, int32_t width, int32_t height,
                  uint8_t* gray, uint8_t* codes, double idle, double backpressure,
                  uint64_t seed, uint64_t timeout, uint64_t* stats) {
    auto* m = static_cast<Model*>(h);
    Top* t = m->top.get();
    if (n < 1 || width < 1 || height < 1) {
        m->fail("expected at least one frame of at least 1x1 pixels, got %d of %dx%d", n, width,
                height);
        return kBadArg;
    }
    const uint64_t t0 = m->cycle;
    m->idle_inputs();
    while (m->cycle < m->last_write + kRegSettle) {  // the geometry must reach the block
        m->settle();
        m->rise();
    }
    for (int32_t k = 0; k < 4 * n + 1; ++k) stats[k] = 0;

    const uint64_t bpl = beats_per_line(width);
    const uint64_t frame_bytes = static_cast<uint64_t>(width) * height * kInChannels;
    const uint64_t line_bytes = static_cast<uint64_t>(width) * kInChannels;
    Traffic traffic(idle, backpressure, seed);

    // Source.
    int fi = 0;
    uint64_t si = 0, sj = 0;
    bool holding = false, beat_user = false, beat_last = false;
    uint32_t beat[kInWords] = {0};
    // Gray sink.
    int go = kGray ? 0 : n;
    uint64_t gi = 0, gj = 0;
    // Code sink.
    int co = kCrop ? 0 : n;
    uint64_t cp = 0;

    Watchdog watchdog(timeout, m->cycle);
    while (fi < n || go < n || co < n) {  // every input beat sent, every output received
        if (!holding && fi < n && !traffic.idle()) {
            for (int w = 0; w < kInWords; ++w) beat[w] = 0;
            const uint8_t* row = in + fi * frame_bytes + si * line_bytes;
            for (int l = 0; l < kPpc; ++l) {
                const uint64_t x = sj * kPpc + l;
                for (int c = 0; c < kInChannels; ++c) {
                    // Unused lanes of a line's last beat carry junk: the blocks ignore it.
                    const uint32_t px = x < static_cast<uint64_t>(width)
                                            ? row[x * kInChannels + c] : 0xFFu;
                    const int bit = 8 * (l * kInChannels + c);
                    beat[bit / 32] |= px << (bit % 32);
                }
            }
            beat_user = (si == 0 && sj == 0);
            beat_last = (sj + 1 == bpl);
            holding = true;
        }
        t->s_axis_tvalid = holding;
        put_words(t->s_axis_tdata, beat);
        t->s_axis_tuser = holding && beat_user;
        t->s_axis_tlast = holding && beat_last;
        const bool g_ready = kGray && traffic.ready();
        const bool c_ready = kCrop && traffic.ready();
        t->g_axis_tready = g_ready;
        t->m_axis_tready = c_ready;

        m->settle();

        const uint64_t now = m->cycle - t0;
        if (holding && t->s_axis_tready) {
            holding = false;
            watchdog.moved(m->cycle);
            if (si == 0 && sj == 0) stats[4 * fi] = now;
            if (++sj == bpl) {
                sj = 0;
                if (++si == static_cast<uint64_t>(height)) {
                    stats[4 * fi + 1] = now;
                    si = 0;
                    ++fi;
                }
            }
        }
        if (g_ready && t->g_axis_tvalid) {
            watchdog.moved(m->cycle);
            const bool user = t->g_axis_tuser, last = t->g_axis_tlast;
            const bool exp_user = (gi == 0 && gj == 0), exp_last = (gj + 1 == bpl);
            if (go >= n || user != exp_user || last != exp_last) {
                m->fail("gray output frame %d (%dx%d), line %llu, beat %llu of %llu: tuser=%d "
                        "tlast=%d, expected tuser=%d tlast=%d",
                        go, width, height, static_cast<unsigned long long>(gi),
                        static_cast<unsigned long long>(gj), static_cast<unsigned long long>(bpl),
                        user, last, exp_user, exp_last);
                m->rise();
                return kProtocol;
            }
            uint32_t words[(8 * kPpc + 31) / 32];
            get_words(t->g_axis_tdata, words);
            uint8_t* row = gray + (static_cast<uint64_t>(go) * height + gi) * width;
            for (int l = 0; l < kPpc; ++l) {
                const uint64_t x = gj * kPpc + l;
                if (x < static_cast<uint64_t>(width)) {
                    row[x] = static_cast<uint8_t>(words[(8 * l) / 32] >> ((8 * l) % 32));
                }
            }
            if (++gj == bpl) {
                gj = 0;
                if (++gi == static_cast<uint64_t>(height)) {
                    stats[4 * go + 2] = now;
                    gi = 0;
                    ++go;
                }
            }
        }
        if (c_ready && t->m_axis_tvalid) {
            watchdog.moved(m->cycle);
            const bool last = t->m_axis_tlast, exp_last = (cp + 1 == kOutPixels);
            if (co >= n || last != exp_last) {
                m->fail("classifier input image %d: pixel %llu of %llu has tlast=%d, expected %d",
                        co, static_cast<unsigned long long>(cp),
                        static_cast<unsigned long long>(kOutPixels), last, exp_last);
                m->rise();
                return kProtocol;
            }
            const uint32_t v = static_cast<uint32_t>(t->m_axis_tdata);
            uint8_t* px = codes + (static_cast<uint64_t>(co) * kOutPixels + cp) * kOutChannels;
            for (int c = 0; c < kOutChannels; ++c) px[c] = static_cast<uint8_t>(v >> (8 * c));
            if (++cp == kOutPixels) {
                stats[4 * co + 3] = now;
                cp = 0;
                ++co;
            }
        }
        m->rise();
        if (watchdog.expired(m->cycle)) {
            m->fail("no stream progress for %llu cycles: input at frame %d line %llu beat %llu "
                    "(s_axis_tready=%d), gray output at frame %d line %llu (tvalid=%d), "
                    "classifier input at image %d pixel %llu (tvalid=%d)",
                    static_cast<unsigned long long>(timeout), fi,
                    static_cast<unsigned long long>(si), static_cast<unsigned long long>(sj),
                    t->s_axis_tready, go, static_cast<unsigned long long>(gi), t->g_axis_tvalid,
                    co, static_cast<unsigned long long>(cp), t->m_axis_tvalid);
            return kTimeout;
        }
    }
    stats[4 * n] = m->cycle - t0;

    // Drain: nothing more may come out once every frame's outputs have been received.
    for (uint64_t i = 0; i < kDrain; ++i) {
        m->idle_inputs();
        t->g_axis_tready = 1;
        t->m_axis_tready = 1;
        m->settle();
        if ((kGray && t->g_axis_tvalid) || (kCrop && t->m_axis_tvalid)) {
            m->fail("unexpected %s beat %llu cycles after the last frame's outputs",
                    (kGray && t->g_axis_tvalid) ? "gray" : "classifier input",
                    static_cast<unsigned long long>(i));
            m->rise();
            return kProtocol;
        }
        m->rise();
    }
    m->idle_inputs();
    m->settle();
    return kOk;
}
