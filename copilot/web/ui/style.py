"""The UI's stylesheet: shop-floor tablet first (large text and touch targets, high contrast, gloves-friendly)."""

CSS = """
.gradio-container { font-size: 18px; }
.gradio-container button, .gradio-container .tab-container button, .cp-big button, button.cp-big {
  min-height: 56px; font-size: 18px !important; }
.cp-tabs > div > button, .cp-tabs button[role="tab"] { min-height: 52px; font-size: 19px !important; padding: 0 22px; }
#cp-chat .message, #cp-chat .message-wrap { font-size: 18px; line-height: 1.5; }
#cp-question textarea { font-size: 19px !important; min-height: 56px; }
.cp-safety { background: #fde8e8; border: 2px solid #c81e1e; border-left-width: 10px; color: #7a1010;
  border-radius: 8px; padding: 10px 14px; margin-bottom: 10px; font-weight: 600; }
.cp-answer { margin: 4px 0 8px 0; }
.cp-abstained { font-style: italic; }
.cp-cite { color: #1f4e79; font-weight: 700; font-size: 0.8em; }
mark.cp-unsupported { background: #fff3c4; border-bottom: 3px dashed #b7791f; color: inherit; padding: 0 2px; }
.cp-unsupported-note, .cp-note { background: #fff8e1; border-left: 6px solid #b7791f; padding: 6px 10px;
  margin: 6px 0; border-radius: 4px; font-size: 0.92em; }
.cp-error { background: #fde8e8; border-left: 6px solid #c81e1e; padding: 8px 12px; border-radius: 4px; }
.cp-causes { padding-left: 1.4em; margin: 6px 0; }
.cp-causes > li { margin: 6px 0; }
.cp-causes summary { cursor: pointer; min-height: 44px; }
.cp-check { font-size: 0.95em; color: #0f172a; }
.cp-evidence { font-size: 0.85em; color: #475569; }
.cp-sources { margin-top: 8px; border-top: 1px solid #cbd5e1; padding-top: 6px; }
.cp-sources-title { font-size: 0.85em; color: #475569; margin-bottom: 4px; }
details.cp-source { border: 1px solid #cbd5e1; border-radius: 8px; margin: 6px 0; background: #f8fafc; }
details.cp-source > summary { cursor: pointer; min-height: 44px; display: flex; align-items: center; gap: 6px;
  padding: 6px 12px; font-weight: 600; color: #1f4e79; list-style-position: inside; }
details.cp-source[open] > summary { border-bottom: 1px solid #cbd5e1; }
.cp-n { font-weight: 800; }
blockquote.cp-quote { margin: 8px 12px; padding: 6px 10px; border-left: 5px solid #1f4e79; background: #e8f0fa;
  color: #0f172a; }
.cp-passage { margin: 6px 12px 10px 12px; white-space: pre-wrap; font-size: 0.88em; color: #334155;
  max-height: 260px; overflow-y: auto; }
.cp-draft { color: #475569; }
.cp-writing { color: #94a3b8; font-style: italic; }
.cp-report-frame { width: 100%; height: 640px; border: 1px solid #cbd5e1; border-radius: 8px; background: white; }
.cp-status { min-height: 1.5em; }
#cp-chat .user-row .message-buttons { display: none; }  /* copying your own question is not worth the space */
#cp-chat .user-row { padding-top: 6px; padding-bottom: 6px; }
#cp-chat .user-row .message-content { font-weight: 600; }
"""
