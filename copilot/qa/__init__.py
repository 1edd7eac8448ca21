"""Answering questions: question -> query plan -> passages -> one of the routes -> a checked, cited Answer.

`spine.stream_answer` is the whole path in one short function; each route is a function in `routes.py`. The pieces:
`query` (what the question names), `retrieval` (passages), `view` (what the routes may read of the index),
`answerability` (do the passages state what is asked), `extractive` (the documents' own lines), `citations` (checking
a model reply), `procedure` (numbered steps), `counting` ("how many"), `safety` (warnings first), and `lexicon` /
`thresholds` (the word lists, patterns and calibrated numbers they all share).
"""
