# RTL file list of fcnn_edge_dma (compile order); read by fpgacnn.hw.rtl_sources
-f fcnn_edge_core.f
fcnn_edge_dma.sv
