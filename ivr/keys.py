"""The keypad: which key means what, wherever a question is asked (DESIGN's keypad map)."""

NOT_LISTED_KEY = "9"   # main menu: my matter is not in this list
OPERATOR_KEY = "0"     # main menu: the duty officer
REPEAT_KEY = "*"       # any question: hear it again
ANOTHER_KEY = "1"      # after a report: report another matter
FINISH_KEY = "2"       # after a report: finish
FOLLOW_UP_KEY = "#"    # main menu: "I have a reference number"
