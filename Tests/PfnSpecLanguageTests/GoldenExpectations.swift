// Expected renderings for GoldenDiagnosticTests, reviewed by hand.
// Re-record with PFNSPEC_RECORD_GOLDEN=DIR and compare before pasting.
let goldenExpectations: [String: String] = [
  "E002": #"""
    Specs/test.pfnspec:4:16: error[E002]: unexpected character U+00A0 no-break space
        4 |   given leaf at\#u{00A0}pmd
          |                ^
          = help: replace it with a plain space
    Specs/test.pfnspec:5:22: error[E002]: unexpected character '@'
        5 |   call start(0x1000) @
          |                      ^

    """#,
  "E003": #"""
    Specs/test.pfnspec:4:7: error[E003]: unterminated string
        4 |   why "unterminated
          |       ^~~~~~~~~~~~~
          = help: add a closing '"' before the end of the line

    """#,
  "E004": #"""
    Specs/test.pfnspec:4:12: error[E004]: unknown escape sequence '\q' in string
        4 |   why "bad \q escape"
          |            ^~
          = help: strings know only the escapes \", \\ and \n

    """#,
  "E005": #"""
    Specs/test.pfnspec:4:14: error[E005]: invalid number '12abc'
        4 |   call start(12abc)
          |              ^~~~~
          = help: numbers are decimal or 0x hexadecimal, with '_' separators and an optional suffix K, M, G or T

    """#,
  "E006": #"""
    Specs/test.pfnspec:4:14: error[E006]: integer literal '0x1_0000_0000_0000_0000' does not fit in 64 bits
        4 |   call start(0x1_0000_0000_0000_0000)
          |              ^~~~~~~~~~~~~~~~~~~~~~~

    """#,
  "E007": #"""
    Specs/test.pfnspec:3:14: error[E007]: message id has no closing '>'
        3 |   source msg <abc@example.com
          |              ^~~~~~~~~~~~~~~~
          = help: write the Message-ID as 'msg <local@domain>'

    """#,
  "E008": #"""
    Specs/test.pfnspec:5:17: error[E008]: '=' is not an operator; use '==' to compare
        5 |   expect result = 0 && not lockdep_warned
          |                 ^
    Specs/test.pfnspec:5:21: error[E008]: '&&' is not an operator; use 'and'
        5 |   expect result = 0 && not lockdep_warned
          |                     ^~

    """#,
  "E101": #"""
    Specs/test.pfnspec:5:3: error[E101]: unknown clause 'expct'
        5 |   expct result == 0
          |   ^~~~~
          = help: did you mean 'expect'?
          = help: clauses are: tags, source, why, requires, for, given, call, expect

    """#,
  "E102": #"""
    Specs/test.pfnspec:5:19: error[E102]: expected an expression, found end of line
        5 |   expect result ==
          |                   ^

    """#,
  "E103": #"""
    Specs/test.pfnspec:4:18: error[E103]: expected ',' or ')', found end of line
        4 |   call start(1, 2
          |                  ^
    Specs/test.pfnspec:4:13: note: to match this '('
        4 |   call start(1, 2
          |             ^

    """#,
  "E104": #"""
    Specs/test.pfnspec:5:22: error[E104]: unexpected 'held' after the 'expect' clause
        5 |   expect result == 0 held == none
          |                      ^~~~
          = help: one clause per line; combine conditions with 'and'

    """#,
  "E105": #"""
    Specs/test.pfnspec:2:6: error[E105]: invalid rule id '1-A'
        2 | rule 1-A "t"
          |      ^~~
          = help: a rule id is letters, digits and hyphens, starting with a letter, such as 'LT-001'

    """#,
  "E106": #"""
    Specs/test.pfnspec:1:7: error[E106]: expected a suite name after 'suite', found a string
        1 | suite "t"
          |       ^~~
          = help: write 'suite NAME "title"'

    """#,
  "E107": #"""
    Specs/test.pfnspec:2:1: error[E107]: a file has only one 'suite' line
        2 | suite again "t"
          | ^~~~~~~~~~~~~~~
    Specs/test.pfnspec:1:1: note: the suite is declared here
        1 | suite test "tests"
          | ^~~~~~~~~~~~~~~~~~

    """#,
  "E108": #"""
    Specs/test.pfnspec:2:3: error[E108]: 'given' clause outside a rule
        2 |   given vma flags IO
          |   ^~~~~
          = help: start a rule with 'rule ID "title"' before its clauses

    """#,
  "E109": #"""
    Specs/test.pfnspec:3:17: error[E109]: invalid commit id 'xyz'
        3 |   source commit xyz
          |                 ^~~
          = help: a commit id is 7 to 40 hexadecimal digits

    """#,
  "E110": #"""
    Specs/test.pfnspec:5:26: error[E110]: expression is too complex
        5 |   expect ((((((((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))))))))))) == result
          |                          ^
          = help: split it across several clauses

    """#,
  "E111": #"""
    Specs/test.pfnspec:5:19: error[E111]: only a function name can be called
        5 |   expect vma.start(1) == 0
          |                   ^
          = help: functions are called by name, as in 'lock_of(level)'

    """#,
  "E112": #"""
    Specs/test.pfnspec:5:21: error[E112]: comparisons cannot be chained
        5 |   expect 1 < result < 3
          |                     ^
          = help: combine them with 'and', as in 'a < b and b < c'

    """#,
  "E201": #"""
    Specs/test.pfnspec:1:1: error[E201]: missing 'suite' line
        1 | rule A-1 "t"
          | ^
          = help: start the file with 'suite test "title"'

    """#,
  "E202": #"""
    Specs/test.pfnspec:4:9: error[E202]: unknown given subject 'leef'
        4 |   given leef at pmd
          |         ^~~~
          = help: did you mean 'leaf'?
          = help: subjects are: 'caller', 'entry', 'leaf', 'vma'

    """#,
  "E203": #"""
    Specs/test.pfnspec:4:21: error[E203]: unknown given attribute 'pfm' for 'leaf'
        4 |   given leaf at pmd pfm 0x12345
          |                     ^~~
          = help: did you mean 'pfn'?
          = help: attributes of 'leaf' are: 'at', 'pfn', 'special', 'writable'

    """#,
  "E204": #"""
    Specs/test.pfnspec:4:9: error[E204]: 'given entry' is missing required attribute 'state'
        4 |   given entry at pmd
          |         ^~~~~
          = help: add 'state VALUE'

    """#,
  "E205": #"""
    Specs/test.pfnspec:5:9: error[E205]: 'vma' is given more than once
        5 |   given vma flags PFNMAP
          |         ^~~
          = help: a rule has one 'vma'; put all its attributes on one line
    Specs/test.pfnspec:4:9: note: first given here
        4 |   given vma flags IO
          |         ^~~

    """#,
  "E206": #"""
    Specs/test.pfnspec:4:21: error[E206]: attribute 'at' is given twice
        4 |   given leaf at pmd at pud
          |                     ^~
    Specs/test.pfnspec:4:14: note: first given here
        4 |   given leaf at pmd at pud
          |              ^~

    """#,
  "E207": #"""
    Specs/test.pfnspec:4:8: error[E207]: unknown call 'stat'
        4 |   call stat(1)
          |        ^~~~
          = help: did you mean 'start'?
          = help: calls are: 'end', 'start'

    """#,
  "E208": #"""
    Specs/test.pfnspec:5:10: error[E208]: unknown function 'lock_off'
        5 |   expect lock_off(pmd) == held
          |          ^~~~~~~~
          = help: did you mean 'lock_of'?
          = help: functions are: 'lock_of', 'random'

    """#,
  "E209": #"""
    Specs/test.pfnspec:5:10: error[E209]: unknown name 'reslt'
        5 |   expect reslt == 0
          |          ^~~~~
          = help: did you mean 'result'?
          = help: names are: 'IO', 'PFNMAP', 'api', 'expected', 'false', 'held', 'leaf', 'leaf_levels', 'lockdep_warned', 'mmap_read', 'none', 'outputs' and 8 more (see 'pfnspec list vocabulary')

    """#,
  "E210": #"""
    Specs/test.pfnspec:4:18: error[E210]: 'vma' has no member 'strt'
        4 |   call start(vma.strt)
          |                  ^~~~
          = help: did you mean 'start'?
          = help: members are: 'end', 'start'

    """#,
  "E211": #"""
    Specs/test.pfnspec:4:8: error[E211]: 'start' takes 1 argument, found 0
        4 |   call start()
          |        ^~~~~
          = help: usage: start(integer)

    """#,
  "E212": #"""
    Specs/test.pfnspec:4:12: error[E212]: 'result' cannot be used in a 'requires' clause
        4 |   requires result == 0
          |            ^~~~~~
          = help: 'result' can be used in 'expect'

    """#,
  "E213": #"""
    Specs/test.pfnspec:4:14: error[E213]: 'expected' is only meaningful after a 'call'
        4 |   call start(expected.pfn)
          |              ^~~~~~~~
          = help: add 'call start(...)' before this clause

    """#,
  "E214": #"""
    Specs/test.pfnspec:4:3: error[E214]: 'expect' before any 'call'
        4 |   expect held == none
          |   ^~~~~~~~~~~~~~~~~~~
          = help: an expectation judges the state after a call; add 'call start(...)' before it

    """#,
  "E216": #"""
    Specs/test.pfnspec:2:6: error[E216]: rule 'A-1' has no 'source'
        2 | rule A-1 "t"
          |      ^~~
          = help: cite where the promise comes from: 'source contract#ANCHOR', 'source msg <MESSAGE-ID>' or 'source commit HASH'

    """#,
  "E217": #"""
    Specs/test.pfnspec:3:19: error[E217]: unknown contract anchor 'C41'
        3 |   source contract#C41
          |                   ^~~
          = help: did you mean 'C1'?
          = help: anchors in docs/contract.md: 'C1', 'C14', 'C15'

    """#,
  "E218": #"""
    Specs/test.pfnspec:4:7: error[E218]: variable 'pmd' shadows a vocabulary name
        4 |   for pmd in leaf_levels
          |       ^~~
          = help: choose another name; 'pmd' already means something to the engine

    """#,
  "E219": #"""
    Specs/test.pfnspec:4:17: error[E219]: attribute 'at' of 'leaf' expects page-table level, found VMA flags
        4 |   given leaf at IO
          |                 ^~

    """#,
  "E220": #"""
    Specs/test.pfnspec:5:3: error[E220]: 'given' after a 'call'
        5 |   given vma flags IO
          |   ^~~~~~~~~~~~~~~~~~
          = help: 'given' clauses build the world before the first call; move it up

    """#,
  "W301": #"""
    Specs/test.pfnspec:4:16: warning[W301]: 'for level' iterates over an empty list
        4 |   for level in {}
          |                ^~
          = help: the rule yields no case

    """#,
  "W302": #"""
    Specs/test.pfnspec:2:6: warning[W302]: rule 'A-1' has no 'expect'
        2 | rule A-1 "t"
          |      ^~~
          = help: a rule without expectations cannot fail

    """#,
  "W303": #"""
    Specs/test.pfnspec:3:25: warning[W303]: tag 'lifetime' is listed twice
        3 |   tags lifetime locking lifetime
          |                         ^~~~~~~~
    Specs/test.pfnspec:3:8: note: first listed here
        3 |   tags lifetime locking lifetime
          |        ^~~~~~~~

    """#,
  "W304": #"""
    Specs/test.pfnspec:4:7: warning[W304]: variable 'level' is never used
        4 |   for level in leaf_levels
          |       ^~~~~
          = help: an unused variable only multiplies the cases; remove the 'for' clause

    """#,
  "W305": #"""
    Specs/test.pfnspec:4:10: warning[W305]: source contract#C1 is cited twice
        4 |   source contract#C1
          |          ^~~~~~~~~~~
    Specs/test.pfnspec:3:10: note: first cited here
        3 |   source contract#C1
          |          ^~~~~~~~~~~

    """#,
  "W307": #"""
    Specs/test.pfnspec:6:38: warning[W307]: 'addr_mask' exists only where api >= 6.15, and the rule does not require it
        6 |   expect result == 0 implies outputs.addr_mask == 0
          |                                      ^~~~~~~~~
          = help: add 'requires api >= 6.15', or move this expectation to a rule of its own: elsewhere the whole case is skipped, its other expectations too

    """#,
  "W308": #"""
    Specs/test.pfnspec:5:10: warning[W308]: this 'expect' reads nothing that a call changes
        5 |   expect vma.start < vma.end
          |          ^~~~~~~~~~~~~~~~~~~
          = help: it judges only the rule's own set-up, so no walker can fail it; compare it with 'result', an output, 'held' or another name that describes the call

    """#,
  "W309": #"""
    Specs/test.pfnspec:4:16: warning[W309]: 'for level' yields a single case
        4 |   for level in {pmd}
          |                ^~~~~
          = help: a quantifier over one value only renames it; write the value where 'level' is used, or add the values the rule should also hold for

    """#,
  "W310": #"""
    Specs/test.pfnspec:5:30: warning[W310]: both sides of '==' are the same expression
        5 |   expect result == 0 implies outputs.pfn == outputs.pfn
          |                              ^~~~~~~~~~~~~~~~~~~~~~~~~~
          = help: it always holds, whatever the walker does; compare with what the walker reported, such as 'pfn' or 'result'

    """#,
  "W311": #"""
    Specs/test.pfnspec:2:6: warning[W311]: rule 'A-1' kills no mutant
        2 | rule A-1 "weak"
          |      ^~~
          = help: none of the 17 built-in mutants fails it; tighten an 'expect', or add the mutant it is meant to catch
          = help: see which walkers fail it with 'pfnspec explain A-1'

    """#,
]
