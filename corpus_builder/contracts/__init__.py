"""What every floor of the package agrees on: output folder names, document metadata keys, errors."""
