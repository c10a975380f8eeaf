// Comfort only: every form works without this file.
"use strict";

// Copy buttons: data-copy names the id of the field whose value goes to the clipboard.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) return;
  var field = document.getElementById(button.getAttribute("data-copy"));
  if (!field) return;
  var text = field.value !== undefined ? field.value : field.textContent;
  function done() { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () { field.select(); document.execCommand("copy"); done(); });
  } else {
    field.select(); document.execCommand("copy"); done();
  }
});

// Upload with a progress bar: the file itself is the body (streamed to the image as it
// arrives), the CSRF token goes in a header.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.id !== "upload-form" || !window.XMLHttpRequest) return;
  var input = form.querySelector("input[type=file]");
  if (!input.files.length) return;
  event.preventDefault();
  var progress = document.getElementById("upload-progress");
  var xhr = new XMLHttpRequest();
  xhr.open("POST", form.action);
  xhr.setRequestHeader("Content-Type", "application/octet-stream");
  xhr.setRequestHeader("X-CSRF-Token", form.querySelector("input[name=csrf_token]").value);
  progress.hidden = false;
  xhr.upload.onprogress = function (e) { if (e.lengthComputable) progress.value = Math.round(100 * e.loaded / e.total); };
  // The answer is empty; the image page shows what happened.
  xhr.onload = function () { window.location.assign(window.location.pathname); };
  xhr.onerror = function () { form.submit(); };
  form.querySelector("button[type=submit]").disabled = true;
  xhr.send(input.files[0]);
});
