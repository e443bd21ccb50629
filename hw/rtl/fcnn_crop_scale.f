# RTL file list of fcnn_crop_scale (compile order); read by fpgacnn.hw.rtl_sources
-f fcnn_axis_skid.f
fcnn_crop_scale.sv
