`timescale 1ns/1ps
// network_tb: the simulator-side half of the network testbench (sc_neurocore.sim.tb_network): clock, input
// stream driver, result and trace monitors around an SCNetworkCore whose Verilog module is `sc_net`.
//
// cocotb (the Python half) writes a batch of images' input codes to codes.hex, pulses tb_reload
// ($readmemh) and tb_go, and waits for tb_done; it never touches the clock.  Meanwhile:
//   * driver: streams codes[0 .. tb_n_codes-1] into the core's `i` stream, one per clock while
//     the core is ready (with tb_stall: pseudo-random valid gaps; once valid, valid stays up
//     until the transfer, as the stream rules ask);
//   * monitors: every `o` transfer goes to out.hex and every `trace` transfer to trace.hex,
//     one line each: "<cycle> <payload hex>" (cycle: rising edges since time 0); with
//     tb_stall the ready signals have pseudo-random gaps too;
//   * tb_n_out counts the batch's results (cocotb watches it for progress), tb_done rises after
//     the tb_n_images-th result.
// The driver and monitors are ordinary rising-edge logic: they see what the core sees.
//
// Parameters (set by the Python half through the simulator's build, `-G` / `-P`):
//   PROB_BITS  width of an input word (i__payload), bits: a code, or T for a spike-input net
//   O_BITS     width of the result word (o__payload), bits
//   TR_BITS    width of the trace word (trace__payload), bits; used only with `define SC_TRACE
//   DEPTH      words of the code memory (images per batch <= DEPTH / n_input)
// Define SC_TRACE when the core was built with its trace stream.

module network_tb #(
    parameter integer PROB_BITS = 8,
    parameter integer O_BITS = 8,
    parameter integer TR_BITS = 8,
    parameter integer DEPTH = 65536,
    parameter integer HALF_PERIOD_NS = 5
) (
    input  wire        rst,
    input  wire        tb_go,
    input  wire        tb_reload,
    input  wire [31:0] tb_n_codes,
    input  wire [31:0] tb_n_images,
    input  wire        tb_trace_en,
    input  wire        tb_stall,
    output reg         tb_done,
    output reg  [31:0] tb_n_out
);
    localparam integer AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;

    reg clk;
    initial clk = 1'b0;
    always #(HALF_PERIOD_NS) clk = ~clk;

    reg [PROB_BITS-1:0] codes [0:DEPTH-1];
    always @(posedge tb_reload) $readmemh("codes.hex", codes);

    integer f_out;
    integer f_trace;
    reg [63:0] cycle;      // rising edges since time 0
    reg [15:0] lf;         // pseudo-random stalls: x^16 + x^14 + x^13 + x^11 + 1
    reg streaming;
    reg [31:0] rd_ptr;
    reg i_hold;
    initial begin
        f_out = $fopen("out.hex", "w");
        f_trace = $fopen("trace.hex", "w");
        tb_done = 1'b0;
        tb_n_out = 32'd0;
        cycle = 64'd0;
        lf = 16'hACE1;
        streaming = 1'b0;
        rd_ptr = 32'd0;
        i_hold = 1'b0;
    end

    wire [PROB_BITS-1:0] i_payload = codes[rd_ptr[AW-1:0]];
    wire i_valid = streaming && (rd_ptr < tb_n_codes) && (i_hold || !tb_stall || lf[0] || lf[3]);
    wire i_ready;
    wire [O_BITS-1:0] o_payload;
    wire o_valid;
    wire o_ready = !tb_stall || lf[5];

    always @(posedge clk) begin
        cycle <= cycle + 64'd1;
        lf <= {lf[14:0], lf[15] ^ lf[13] ^ lf[12] ^ lf[10]};
        if (tb_go) begin
            streaming <= 1'b1;
            rd_ptr <= 32'd0;
            tb_n_out <= 32'd0;
            tb_done <= 1'b0;
        end else begin
            if (i_valid && i_ready) rd_ptr <= rd_ptr + 32'd1;
            i_hold <= i_valid && !i_ready;
            if (o_valid && o_ready) begin
                $fwrite(f_out, "%0d %h\n", cycle, o_payload);
                tb_n_out <= tb_n_out + 32'd1;
            end
            if (streaming && tb_n_out == tb_n_images) begin
                streaming <= 1'b0;
                tb_done <= 1'b1;
                $fflush(f_out);
                $fflush(f_trace);
            end
        end
    end

`ifdef SC_TRACE
    wire [TR_BITS-1:0] t_payload;
    wire t_valid;
    wire t_ready = !tb_stall || lf[9] || lf[2];
    always @(posedge clk) begin
        if (t_valid && t_ready) $fwrite(f_trace, "%0d %h\n", cycle, t_payload);
    end
`else
    wire unused_trace = &{1'b0, tb_trace_en, TR_BITS[0]};  // no trace stream: inputs left unused on purpose
`endif

    sc_net dut (
        .clk(clk),
        .rst(rst),
        .i__payload(i_payload),
        .i__valid(i_valid),
        .i__ready(i_ready),
        .o__payload(o_payload),
        .o__valid(o_valid),
`ifdef SC_TRACE
        .trace__payload(t_payload),
        .trace__valid(t_valid),
        .trace__ready(t_ready),
        .trace_en(tb_trace_en),
`endif
        .o__ready(o_ready)
    );
endmodule
