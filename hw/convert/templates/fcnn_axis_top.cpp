// AXI4-Stream top of the fpgacnn classifier core; the contract is in fcnn_axis_top.h.
#include "fcnn_axis_top.h"

static void fcnn_unpack(hls::stream<fcnn_in_beat_t> &s_axis, hls::stream<input_t> &pixels) {
    for (int p = 0; p < FCNN_N_PIXELS; p++) {
#pragma HLS PIPELINE II = 1
        fcnn_in_beat_t beat = s_axis.read();
        input_t px;
        for (int c = 0; c < FCNN_IN_CHANNELS; c++) {
#pragma HLS UNROLL
            px[c].range() = beat.data.range((c + 1) * FCNN_IN_ELEM_BITS - 1, c * FCNN_IN_ELEM_BITS);
        }
        pixels.write(px);
    }
}

static void fcnn_pack(hls::stream<result_t> &scores, hls::stream<fcnn_out_beat_t> &m_axis) {
    result_t r = scores.read();
    ap_uint<FCNN_OUT_BITS> data = 0;
    ap_uint<FCNN_LABEL_BITS> best = 0;
    typename result_t::value_type best_score = r[0];
    for (int k = 0; k < FCNN_N_CLASSES; k++) {
#pragma HLS UNROLL
        data.range((k + 1) * FCNN_SCORE_BITS - 1, k * FCNN_SCORE_BITS) = r[k].range();
        if (r[k] > best_score) {  // strictly greater: the first maximum wins
            best_score = r[k];
            best = k;
        }
    }
    data.range(FCNN_N_CLASSES * FCNN_SCORE_BITS + FCNN_LABEL_BITS - 1,
               FCNN_N_CLASSES * FCNN_SCORE_BITS) = best;
    fcnn_out_beat_t beat;
    beat.data = data;
    beat.keep = -1;
    beat.strb = -1;
    beat.last = 1;
    m_axis.write(beat);
}

void fcnn_axis_top(hls::stream<fcnn_in_beat_t> &s_axis, hls::stream<fcnn_out_beat_t> &m_axis) {
#pragma HLS INTERFACE axis port = s_axis
#pragma HLS INTERFACE axis port = m_axis
#pragma HLS INTERFACE ap_ctrl_none port = return
#pragma HLS DATAFLOW
    hls::stream<input_t> pixels("pixels");
    hls::stream<result_t> scores("scores");
    fcnn_unpack(s_axis, pixels);
    fcnn_classifier(pixels, scores);
    fcnn_pack(scores, m_axis);
}
