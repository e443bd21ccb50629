# RTL file list of fcnn_edge_core (compile order); read by fpgacnn.hw.rtl_sources
-f fcnn_edge_sobel.f
fcnn_edge_core.sv
