"""Every bound on what one input may cost, in one place (docs/formats.md, "Limits", and
SECURITY.md list them; tests/hostile/test_resource_bounds.py checks that they are these).

An export is written by a tool, but what is in it was partly written by the other side
of a dispute, and a file can be built to cost far more than it weighs.  Past a bound the
tool either refuses the file (``error [E106]``, the rest of the run goes on) or leaves
the excess out with a warning that says how much; it never silently drops evidence.
Times are never the bound: a limit counts pages, bytes, characters or objects, so the
same file gets the same answer on a fast and a slow machine.
"""

from __future__ import annotations

# -- PDF ---------------------------------------------------------------------------------

# A month of China Mobile e-bill is a few dozen pages; a long chat printed from the
# browser a few hundred.  Beyond this, a PDF is refused before any page is read.
MAX_PDF_PAGES = 2000
# Characters, lines, rectangles, curves and images one page may draw.  A dense printed
# A4 page holds about 5,000 characters; pdfplumber keeps a dict of some 30 attributes
# for each object, so a page drawing a million one-character strings costs gigabytes.
# A page past this is not read: a warning, or E106 when it is the first page (the one
# a format is recognised by).
MAX_PDF_PAGE_OBJECTS = 20_000
# Bytes the streams a page draws from (its content, its forms, its fonts' ToUnicode maps)
# may inflate to, all together.  A printed chat page's content is some 100 KB; zlib
# packs 1,000 to 1, so a 300 KB page can inflate to 300 MB.  Checked by inflating in
# bounded chunks before pdfminer decodes anything; a page past it is treated as above.
MAX_PDF_PAGE_STREAM_BYTES = 16 * 1024 * 1024
# The same for the whole document: pdfminer keeps each stream it decoded for as long as
# the document is open, so 2,000 pages at the page bound would hold 32 GB.  A stream
# used on many pages (a font, a form) counts once.  A page that would take the total
# past this is not read, nor are the pages after it that add to it.
MAX_PDF_DOCUMENT_STREAM_BYTES = 256 * 1024 * 1024
# Bytes after the PDF's last trailer (startxref, offset, %%EOF) that are ignored without
# a word (the NUL padding some writers add).  More is warned about; either way the PDF
# reader is given the document only, which keeps its backwards search for the trailer
# (quadratic in the length of the lines it reads) out of the junk.  Without a trailer, a
# last line longer than this is not given to the reader either.
MAX_PDF_TRAILING_BYTES = 1024

# -- XLSX --------------------------------------------------------------------------------

# Expanded size above which a workbook is refused (a zip bomb, not an export).
MAX_XLSX_EXPANDED = 256 * 1024 * 1024
# How far one part of a workbook may inflate relative to its compressed size, for parts
# over XLSX_RATIO_FLOOR bytes.  Real sheets inflate 5 to 20 times; zlib's ceiling is
# about 1,000, which is what a bomb uses.
MAX_XLSX_RATIO = 100
XLSX_RATIO_FLOOR = 1024 * 1024
# The styles part: openpyxl builds an object for every format before the first row.
# Excel itself allows 64,000 cell formats, about 4 MB of XML.
MAX_XLSX_STYLES_BYTES = 4 * 1024 * 1024
# The shared-strings part: openpyxl reads every string before the first row, used or
# not, at some 0.1 ms and 100 bytes apiece however short, so a 4 MB workbook of 1.6
# million one-digit strings took 155 s.  Bounded in bytes (from the zip's directory) and
# in strings (counted while inflating in chunks, before openpyxl opens the workbook).  A
# chat export writes about one string per message and 100 bytes per string.
MAX_XLSX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
MAX_XLSX_SHARED_STRINGS = 500_000
# Chat sheets have six columns and carrier bills about a dozen; reading further right
# would let one cell in column XFD make every row 16,384 values wide.
MAX_SHEET_COLUMNS = 100
# A sheet whose rows stay empty this long has ended (some tools write a <dimension> or
# <row> elements down to row 1,048,576); reading stops there, with a warning.
MAX_EMPTY_ROW_RUN = 10_000

# -- warnings ----------------------------------------------------------------------------

# What a warning or an error quotes of the input: the first this many characters, then
# "…(N 字符)".  The event keeps the text whole; the warning only has to point at it.
EXCERPT_CHARS = 80
# A warning as a whole (some quote a row of cells): cut to this with the same marker.
MAX_WARNING_CHARS = 600
# Warnings kept per file.  Each names one line (forty thousand forged lines in one
# message are forty thousand warnings, and each is wanted), but a file of millions of
# bad rows would hold a warning apiece in memory; past this they are counted, and the
# file gets one more warning that says how many were left out.
MAX_WARNINGS_PER_FILE = 100_000

# -- calls -------------------------------------------------------------------------------

# The longest call duration taken as written.  Carriers cut calls after a few hours; a
# longer (or negative) duration is damaged or forged: the call is kept, its duration
# unknown, with a warning naming the row.
MAX_CALL_SECONDS = 24 * 3600

# -- reports -----------------------------------------------------------------------------

# Characters of one message the HTML and PDF reports show.  The JSON report and the
# timeline keep the text whole (that is the evidence); the HTML and PDF show the start
# and say how long the whole text is and where it is.  A 50 MB message otherwise makes
# a 100 MB HTML file and a PDF of thousands of pages.
MAX_SHOWN_MESSAGE_CHARS = 20_000

# Other orders a pattern (extractor.patterns: 同款集中拍下, 共用手机号/地址) names in a
# report or register cell: a flash sale's burst can hold thousands of orders, and every
# one of its rows would otherwise list all the others (a register quadratic in them).
# Past this many the cell says how many more (等N单).
MAX_PATTERN_ORDERS_SHOWN = 20

# The tagger reads a message longer than this in windows of about this many characters,
# cut at a clause end, a few windows at a time: its memory is bounded by the window, not
# by the message (spaCy keeps some 450 bytes a character of a Doc).  Each window is
# judged on its own; what the message claims is the union of what its windows claim.
TAG_WINDOW_CHARS = 20_000
TAG_WINDOWS_AT_ONCE = 8

# -- the web app -------------------------------------------------------------------------

# Case objects the web app keeps for its downloads (pack, PDF, register), so that a
# download does not run every stage again; the least recently downloaded go first.
MAX_CACHED_CASES = 1000
