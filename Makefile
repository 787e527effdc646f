# Installs pfnspec like any other command-line tool:
#
#   make install PREFIX=$HOME/.local      # default PREFIX: /usr/local
#   make uninstall PREFIX=$HOME/.local
#   make docs                             # the libraries' DocC documentation, for static hosting
#
# The layout under PREFIX (DESTDIR is prepended, for packagers):
#   bin/pfnspec                                        the release build
#   share/pfnspec/Specs/*.pfnspec                      the shipped rules
#   share/pfnspec/docs/*.md                            docs/contract.md and the guides
#   include/pfnspec/                                   the plug-in headers ($(pfnspec cflags))
#   share/man/man1/pfnspec*.1                          one manual page per command
#   share/bash-completion/completions/pfnspec          shell completions
#   share/zsh/site-functions/_pfnspec
#   share/fish/vendor_completions.d/pfnspec.fish
# pfnspec finds its rules, contract and headers relative to bin/, so nothing
# needs to be set in the environment.

PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift
# The release build has a folder of its own, so that it never competes with
# the debug build of `swift build` and `swift test` in .build.
SCRATCH ?= .build-install
# Where `make docs` writes the static sites, one folder per library.
DOCS_OUTPUT ?= .build-docs/site
DOC_TARGETS ?= PfnSpecRunner PfnRun

root := $(DESTDIR)$(PREFIX)
bindir := $(root)/bin
datadir := $(root)/share/pfnspec
includedir := $(root)/include/pfnspec
mandir := $(root)/share/man/man1
bashdir := $(root)/share/bash-completion/completions
zshdir := $(root)/share/zsh/site-functions
fishdir := $(root)/share/fish/vendor_completions.d

built := $(SCRATCH)/release/pfnspec
generated := $(SCRATCH)/pfnspec-generated
# The manual pages come from the argument parser's definitions, through
# swift-argument-parser's generate-manual plugin (its output folder).
manuals := $(SCRATCH)/plugins/GenerateManual/outputs/pfnspec

.PHONY: all build man completions install uninstall docs clean-install

all: build man completions

build:
	$(SWIFT) build -c release --product pfnspec --scratch-path $(SCRATCH)

# One page per command: pfnspec.1, pfnspec.run.1, ... renamed to pfnspec-run.1,
# the name `man pfnspec-run` looks for (as git's pages are named).
man: build
	rm -rf $(manuals) $(generated)/man
	$(SWIFT) package --scratch-path $(SCRATCH) plugin generate-manual --multi-page \
	  --authors "the pfnspec authors" --section 1 > $(SCRATCH)/generate-manual.log 2>&1 \
	  || { cat $(SCRATCH)/generate-manual.log; exit 1; }
	mkdir -p $(generated)/man
	for page in $(manuals)/*.1; do \
	  name=$$(basename "$$page" .1 | tr . -); \
	  perl -pe 's/^(\.(?:Dt|Xr) )(\S+)/$$1 . ($$2 =~ tr{.}{-}r)/e' "$$page" > "$(generated)/man/$$name.1"; \
	done
	# The hidden worker mode is internal: no page, and no mention among the commands.
	rm -f $(generated)/man/pfnspec-worker.1
	perl -0pi -e 's/ ,\n\.Xr pfnspec-worker 1\n/\n/; s/\.Xr pfnspec-worker 1 ,\n//' $(generated)/man/pfnspec.1
	! grep -q pfnspec-worker $(generated)/man/pfnspec.1
	test -f $(generated)/man/pfnspec-run.1

completions: build
	mkdir -p $(generated)/completions
	$(built) --generate-completion-script bash > $(generated)/completions/pfnspec.bash
	$(built) --generate-completion-script zsh > $(generated)/completions/_pfnspec
	$(built) --generate-completion-script fish > $(generated)/completions/pfnspec.fish

install: all
	install -d $(bindir) $(datadir)/Specs $(datadir)/docs $(includedir) $(mandir) $(bashdir) $(zshdir) $(fishdir)
	install -m 755 $(built) $(bindir)/pfnspec
	install -m 644 Specs/*.pfnspec $(datadir)/Specs/
	install -m 644 docs/*.md $(datadir)/docs/
	# The headers with their kernel folders; the Swift module map stays behind.
	cd Sources/CPfnWalker/include && find . -type f -name '*.h' | while read -r header; do \
	  install -d "$(includedir)/$$(dirname "$$header")" && install -m 644 "$$header" "$(includedir)/$$header"; \
	done
	install -m 644 $(generated)/man/*.1 $(mandir)/
	install -m 644 $(generated)/completions/pfnspec.bash $(bashdir)/pfnspec
	install -m 644 $(generated)/completions/_pfnspec $(zshdir)/_pfnspec
	install -m 644 $(generated)/completions/pfnspec.fish $(fishdir)/pfnspec.fish
	@echo "installed pfnspec in $(PREFIX): $(PREFIX)/bin/pfnspec (man pages: MANPATH=$(PREFIX)/share/man if $(PREFIX) is not searched)"

uninstall:
	rm -f $(bindir)/pfnspec $(mandir)/pfnspec.1 $(mandir)/pfnspec-*.1
	rm -f $(bashdir)/pfnspec $(zshdir)/_pfnspec $(fishdir)/pfnspec.fish
	rm -rf $(datadir) $(includedir)

# Static-hosting sites of the library products' DocC catalogs; a warning fails the build.
docs:
	mkdir -p $(DOCS_OUTPUT)
	for target in $(DOC_TARGETS); do \
	  rm -rf $(DOCS_OUTPUT)/$$target; \
	  $(SWIFT) package --allow-writing-to-directory $(DOCS_OUTPUT) generate-documentation \
	    --target $$target --warnings-as-errors --transform-for-static-hosting \
	    --hosting-base-path pfnspec/$$target --output-path $(DOCS_OUTPUT)/$$target || exit 1; \
	done
	@echo "documentation in $(DOCS_OUTPUT)/{$$(echo $(DOC_TARGETS) | tr ' ' ,)}"

clean-install:
	rm -rf $(SCRATCH)
