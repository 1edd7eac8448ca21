"""The web UI: a Gradio app with chat, documents, sensors and batch-report tabs (`copilot ui`).

`copilot.web.ui.app` builds and launches it and is the only module that imports gradio; `chat`, `documents`, `sensors`
and `batch` hold the handlers as plain functions over a `copilot.web.service.CopilotService`, and `render` turns answers
and reports into HTML. Import `copilot.web.ui.app` explicitly: importing this package loads nothing heavy.
"""
