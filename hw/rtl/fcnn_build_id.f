# RTL file list of fcnn_build_id (compile order); read by fpgacnn.hw.rtl_sources
fcnn_build_id.sv
