// C-simulation harness of fcnn_axis_top (no Vitis needed).
//
//   fcnn_axis_tb N in.bin out.bin
//     reads N images of raw input codes (one uint32 per element, pixel-major,
//     channels innermost) from in.bin and streams each through fcnn_axis_top,
//     TLAST on its last pixel;
//   fcnn_axis_tb -B in.bin out.bin last.bin
//     streams B beats (pixels) from in.bin with the TLAST flags of last.bin (one
//     byte per beat; the last beat must carry TLAST) in one stream, calling
//     fcnn_axis_top until the input is used up (framing faults: see
//     fcnn_axis_top.h).
// Writes, per output beat, the raw score bits (int64, not sign-extended), the
// label, the status byte and TLAST (int64 each) to out.bin.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "fcnn_axis_top.h"

static void write_beat(FILE *fo, const fcnn_out_beat_t &out) {
    const int label_lsb = FCNN_N_CLASSES * FCNN_SCORE_BITS;
    const int status_lsb = label_lsb + FCNN_LABEL_BITS;
    std::vector<int64_t> rec(FCNN_N_CLASSES + 3);
    for (int k = 0; k < FCNN_N_CLASSES; k++) {
        rec[k] = static_cast<int64_t>(
            out.data.range((k + 1) * FCNN_SCORE_BITS - 1, k * FCNN_SCORE_BITS).to_uint64());
    }
    rec[FCNN_N_CLASSES] = out.data.range(status_lsb - 1, label_lsb).to_int64();
    rec[FCNN_N_CLASSES + 1] = out.data.range(status_lsb + FCNN_STATUS_BITS - 1, status_lsb).to_int64();
    rec[FCNN_N_CLASSES + 2] = out.last.to_int64();
    std::fwrite(rec.data(), sizeof(int64_t), rec.size(), fo);
}

static fcnn_in_beat_t make_beat(const uint32_t *px, bool last) {
    fcnn_in_beat_t beat;
    beat.data = 0;
    for (int c = 0; c < FCNN_IN_CHANNELS; c++) {
        beat.data.range((c + 1) * FCNN_IN_ELEM_BITS - 1, c * FCNN_IN_ELEM_BITS) = px[c];
    }
    beat.keep = -1;
    beat.strb = -1;
    beat.last = last;
    return beat;
}

static bool read_all(const char *path, void *buf, size_t size, size_t count) {
    FILE *f = std::fopen(path, "rb");
    const bool ok = f && std::fread(buf, size, count, f) == count;
    if (f) std::fclose(f);
    return ok;
}

int main(int argc, char **argv) {
    const bool beats_mode = argc == 5 && argv[1][0] == '-';
    if (argc != 4 && !beats_mode) {
        std::fprintf(stderr, "usage: %s N in.bin out.bin | %s -B in.bin out.bin last.bin\n",
                     argv[0], argv[0]);
        return 2;
    }
    const long n = std::atol(beats_mode ? argv[1] + 1 : argv[1]);
    const long beats = beats_mode ? n : n * static_cast<long>(FCNN_N_PIXELS);
    std::vector<uint32_t> in(beats * FCNN_IN_CHANNELS);
    std::vector<uint8_t> last(beats, 0);
    if (!read_all(argv[2], in.data(), sizeof(uint32_t), in.size())) {
        std::fprintf(stderr, "cannot read %ld beats from %s\n", beats, argv[2]);
        return 1;
    }
    if (beats_mode) {
        if (!read_all(argv[4], last.data(), 1, last.size()) || beats < 1 || !last[beats - 1]) {
            std::fprintf(stderr, "cannot read %ld TLAST flags ending with 1 from %s\n", beats,
                         argv[4]);
            return 1;
        }
    } else {
        for (long b = FCNN_N_PIXELS - 1; b < beats; b += FCNN_N_PIXELS) last[b] = 1;
    }
    FILE *fo = std::fopen(argv[3], "wb");
    if (!fo) return 1;
    if (beats_mode) {  // one stream; the top frames it
        hls::stream<fcnn_in_beat_t> s_axis("s_axis");
        hls::stream<fcnn_out_beat_t> m_axis("m_axis");
        for (long b = 0; b < beats; b++) s_axis.write(make_beat(&in[b * FCNN_IN_CHANNELS], last[b]));
        while (!s_axis.empty()) {
            fcnn_axis_top(s_axis, m_axis);
            if (m_axis.size() != 1) {
                std::fprintf(stderr, "%d output beats for one call, expected 1\n",
                             static_cast<int>(m_axis.size()));
                return 1;
            }
            write_beat(fo, m_axis.read());
        }
    } else {
        for (long i = 0; i < n; i++) {
            hls::stream<fcnn_in_beat_t> s_axis("s_axis");
            hls::stream<fcnn_out_beat_t> m_axis("m_axis");
            for (int p = 0; p < FCNN_N_PIXELS; p++) {
                const long b = i * FCNN_N_PIXELS + p;
                s_axis.write(make_beat(&in[b * FCNN_IN_CHANNELS], last[b]));
            }
            fcnn_axis_top(s_axis, m_axis);
            if (m_axis.size() != 1 || !s_axis.empty()) {
                std::fprintf(stderr, "image %ld: %d output beats, %d input beats left\n", i,
                             static_cast<int>(m_axis.size()), static_cast<int>(s_axis.size()));
                return 1;
            }
            write_beat(fo, m_axis.read());
        }
    }
    std::fclose(fo);
    return 0;
}
