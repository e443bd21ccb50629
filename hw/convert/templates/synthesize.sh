#!/bin/sh
# Vitis HLS synthesis and IP export of the classifier in this conversion folder.
# Written by `fpgacnn convert`; run it from anywhere: ./synthesize.sh
# It runs the hls4ml project's build_prj.tcl (C synthesis + IP export, no
# co-simulation: the C simulation was already proven bit-exact against QKeras)
# with the AXI4-Stream top fcnn_axis_top as the IP's top function.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v vitis_hls >/dev/null 2>&1; then
    echo "synthesize.sh: vitis_hls is not on PATH (source <Vitis>/settings64.sh first); nothing was synthesized" >&2
    exit 3
fi
cd "$here/hls4ml_prj"
exec vitis_hls -f "$here/axis_top.tcl"
