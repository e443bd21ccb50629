# RTL file list of fcnn_axis_broadcast (compile order); read by fpgacnn.hw.rtl_sources
-f fcnn_axis_skid.f
fcnn_axis_broadcast.sv
