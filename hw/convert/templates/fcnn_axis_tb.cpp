// C-simulation harness of fcnn_axis_top (no Vitis needed): reads N images of
// raw input codes (one uint32 per element, pixel-major, channels innermost)
// from argv[2], streams each through fcnn_axis_top and writes, per image, the
// raw score bits (int64, not sign-extended) followed by the label (int64) and
// TLAST (int64) to argv[3]. argv[1] is N.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "fcnn_axis_top.h"

int main(int argc, char **argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s N in.bin out.bin\n", argv[0]);
        return 2;
    }
    const long n = std::atol(argv[1]);
    const long elems = static_cast<long>(FCNN_N_PIXELS) * FCNN_IN_CHANNELS;
    std::vector<uint32_t> in(n * elems);
    FILE *fi = std::fopen(argv[2], "rb");
    if (!fi || std::fread(in.data(), sizeof(uint32_t), in.size(), fi) != in.size()) {
        std::fprintf(stderr, "cannot read %ld images from %s\n", n, argv[2]);
        return 1;
    }
    std::fclose(fi);
    FILE *fo = std::fopen(argv[3], "wb");
    if (!fo) return 1;
    for (long i = 0; i < n; i++) {
        hls::stream<fcnn_in_beat_t> s_axis("s_axis");
        hls::stream<fcnn_out_beat_t> m_axis("m_axis");
        for (int p = 0; p < FCNN_N_PIXELS; p++) {
            fcnn_in_beat_t beat;
            beat.data = 0;
            for (int c = 0; c < FCNN_IN_CHANNELS; c++) {
                beat.data.range((c + 1) * FCNN_IN_ELEM_BITS - 1, c * FCNN_IN_ELEM_BITS) =
                    in[(i * FCNN_N_PIXELS + p) * FCNN_IN_CHANNELS + c];
            }
            beat.keep = -1;
            beat.strb = -1;
            beat.last = (p == FCNN_N_PIXELS - 1);
            s_axis.write(beat);
        }
        fcnn_axis_top(s_axis, m_axis);
        if (m_axis.size() != 1 || !s_axis.empty()) {
            std::fprintf(stderr, "image %ld: %d output beats, %d input beats left\n", i,
                         static_cast<int>(m_axis.size()), static_cast<int>(s_axis.size()));
            return 1;
        }
        fcnn_out_beat_t out = m_axis.read();
        std::vector<int64_t> rec(FCNN_N_CLASSES + 2);
        for (int k = 0; k < FCNN_N_CLASSES; k++) {
            rec[k] = static_cast<int64_t>(
                out.data.range((k + 1) * FCNN_SCORE_BITS - 1, k * FCNN_SCORE_BITS).to_uint64());
        }
        rec[FCNN_N_CLASSES] = out.data.range(FCNN_N_CLASSES * FCNN_SCORE_BITS + FCNN_LABEL_BITS - 1,
                                             FCNN_N_CLASSES * FCNN_SCORE_BITS).to_int64();
        rec[FCNN_N_CLASSES + 1] = out.last.to_int64();
        std::fwrite(rec.data(), sizeof(int64_t), rec.size(), fo);
    }
    std::fclose(fo);
    return 0;
}
