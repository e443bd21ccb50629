// AXI4-Stream top of the fpgacnn classifier core (DESIGN.md, "Classifier core").
//
// s_axis: the model input streamed pixel by pixel, all channels of one pixel
//   per beat (channel c in bits [c*E, (c+1)*E) with E the input element width,
//   as raw fixed-point codes), TLAST on the last pixel. The image size is
//   fixed, so beats are counted; TLAST is not needed to frame an image.
// m_axis: one beat per image: class score k (raw fixed-point code of the
//   network's output type) in bits [k*S, (k+1)*S), the arg-max label (first
//   maximum) in the 8 bits above the scores, TLAST set.
// Image-independent: sizes come from fcnn_axis_params.h (written per model),
// types from the hls4ml project's defines.h.
#ifndef FCNN_AXIS_TOP_H_
#define FCNN_AXIS_TOP_H_

#include "ap_int.h"
#include "hls_stream.h"

#include "fcnn_axis_params.h"
#include "fcnn_classifier.h"

static const int FCNN_IN_ELEM_BITS = input_t::value_type::width;
static const int FCNN_SCORE_BITS = result_t::value_type::width;
static const int FCNN_LABEL_BITS = 8;
// AXI4-Stream TDATA widths are whole bytes.
static const int FCNN_IN_BITS = ((FCNN_IN_CHANNELS * FCNN_IN_ELEM_BITS + 7) / 8) * 8;
static const int FCNN_OUT_BITS = ((FCNN_N_CLASSES * FCNN_SCORE_BITS + FCNN_LABEL_BITS + 7) / 8) * 8;

#if defined(__has_include) && __has_include(<ap_axi_sdata.h>)
#include <ap_axi_sdata.h>
typedef hls::axis<ap_uint<FCNN_IN_BITS>, 0, 0, 0> fcnn_in_beat_t;
typedef hls::axis<ap_uint<FCNN_OUT_BITS>, 0, 0, 0> fcnn_out_beat_t;
#else
// Without Vitis HLS headers (C simulation with hls4ml's ap_types only): the
// same members as hls::axis with no side channels.
template <int W> struct fcnn_axis_beat {
    ap_uint<W> data;
    ap_uint<W / 8> keep;
    ap_uint<W / 8> strb;
    ap_uint<1> last;
};
typedef fcnn_axis_beat<FCNN_IN_BITS> fcnn_in_beat_t;
typedef fcnn_axis_beat<FCNN_OUT_BITS> fcnn_out_beat_t;
#endif

void fcnn_axis_top(hls::stream<fcnn_in_beat_t> &s_axis, hls::stream<fcnn_out_beat_t> &m_axis);

#endif
