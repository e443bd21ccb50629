# RTL file list of fcnn_edge_sobel (compile order); read by fpgacnn.hw.rtl_sources
-f fcnn_axis_skid.f
fcnn_edge_sobel.sv
