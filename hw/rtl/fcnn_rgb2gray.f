# RTL file list of fcnn_rgb2gray (compile order); read by fpgacnn.hw.rtl_sources
-f fcnn_axis_skid.f
fcnn_rgb2gray.sv
