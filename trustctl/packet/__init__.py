"""The audit packet: one signed, self-contained packet for a framework and an observation period.

`build.build_packet` assembles it (period coverage, the packet model, PDF/HTML, workbook, zip);
`verify.verify_packet` checks a packet.zip offline.
"""
