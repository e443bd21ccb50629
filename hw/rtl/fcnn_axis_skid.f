# RTL file list of fcnn_axis_skid (compile order); read by fpgacnn.hw.rtl_sources
fcnn_axis_skid.sv
