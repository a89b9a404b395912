"""Network pages, one module per part of the backbone's work. Views fetch, authorise, call, render."""
