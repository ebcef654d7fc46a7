"use strict";
(function () {
  var root = document.getElementById("app");
  var link = root.getAttribute("data-link");
  var base = "/r/" + encodeURIComponent(link);
  var session = null; // kept in memory only: never in the URL or storage
  var limits = { maxFiles: 10, maxBytes: 15728640, types: [] };
  var chosen = [];

  function $(id) { return document.getElementById(id); }
  function show(id) { $(id).hidden = false; }
  function hide(id) { $(id).hidden = true; }
  function say(id, text) { var el = $(id); el.textContent = text; el.hidden = !text; }

  function postJson(path, body, headers) {
    var init = { method: "POST", headers: Object.assign({ "Content-Type": "application/json" }, headers || {}),
                 body: JSON.stringify(body), credentials: "omit", cache: "no-store" };
    return fetch(base + path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  function locked(message) {
    hide("verify"); hide("upload");
    say("locked-text", message || "This link is locked. Please contact the practice that sent it.");
    show("locked");
  }

  $("verify-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var dob = $("dob").value;
    say("verify-error", "");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(dob)) { say("verify-error", "Please enter your date of birth."); return; }
    $("verify-button").disabled = true;
    postJson("/verify", { date_of_birth: dob }).then(function (reply) {
      $("verify-button").disabled = false;
      if (reply.status === 200) {
        session = reply.data.upload_session;
        limits = { maxFiles: reply.data.max_files, maxBytes: reply.data.max_bytes, types: reply.data.accepted_types };
        say("prompt", reply.data.prompt); // what is asked for: only now that the date of birth is right
        $("request").hidden = !reply.data.prompt;
        hide("verify"); show("upload");
        $("upload-heading").focus();
      } else if (reply.status === 423) {
        locked(reply.data.error && reply.data.error.message);
      } else {
        var left = reply.data.attempts_left;
        var text = "That date of birth does not match our records.";
        if (typeof left === "number") { text += " " + left + (left === 1 ? " try" : " tries") + " left."; }
        if (reply.status !== 400 && reply.data.error) { text = reply.data.error.message; }
        say("verify-error", text);
        $("dob").focus();
      }
    }, function () {
      $("verify-button").disabled = false;
      say("verify-error", "We could not reach the server. Please check your connection and try again.");
    });
  });

  function addFiles(list) {
    say("upload-error", "");
    for (var i = 0; i < list.length; i++) {
      var file = list[i];
      if (chosen.length >= limits.maxFiles) { say("upload-error", "You can send up to " + limits.maxFiles + " photos."); break; }
      if (limits.types.length && limits.types.indexOf(file.type) < 0) { say("upload-error", file.name + " is not a photo we can accept (JPEG, PNG, HEIC or WebP)."); continue; }
      if (file.size > limits.maxBytes) { say("upload-error", file.name + " is too large (the limit is " + Math.round(limits.maxBytes / 1048576) + " MB)."); continue; }
      chosen.push({ file: file, item: preview(file) });
    }
    $("send-button").disabled = chosen.length === 0;
  }

  function preview(file) {
    var item = document.createElement("li");
    var thumb;
    if (/^image\/(jpeg|png|webp)$/.test(file.type)) {
      thumb = document.createElement("img");
      thumb.alt = "Preview of " + file.name;
      thumb.src = URL.createObjectURL(file);
    } else {
      thumb = document.createElement("div");
      thumb.className = "noimg";
      thumb.setAttribute("aria-hidden", "true");
    }
    var body = document.createElement("div");
    var name = document.createElement("div");
    name.className = "name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "Upload progress for " + file.name);
    body.appendChild(name); body.appendChild(bar);
    item.appendChild(thumb); item.appendChild(body);
    $("files").appendChild(item);
    return item;
  }

  ["camera", "gallery"].forEach(function (id) {
    $(id).addEventListener("change", function (event) { addFiles(event.target.files); event.target.value = ""; });
  });

  function uploadOne(entry) {
    var file = entry.file;
    var bar = entry.item.querySelector("progress");
    return postJson("/uploads", { file_name: file.name, content_type: file.type, size_bytes: file.size },
                    { "X-Upload-Session": session }).then(function (reply) {
      if (reply.status === 423) { locked(); throw new Error("locked"); }
      if (reply.status !== 200) { throw new Error((reply.data.error && reply.data.error.message) || "upload refused"); }
      return new Promise(function (resolve, reject) {
        var form = new FormData();
        Object.keys(reply.data.fields).forEach(function (k) { form.append(k, reply.data.fields[k]); });
        form.append("file", file);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", reply.data.url);
        xhr.upload.addEventListener("progress", function (e) { if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); } });
        xhr.addEventListener("load", function () {
          if (xhr.status >= 200 && xhr.status < 300) { bar.value = 100; resolve(); } else { reject(new Error("storage refused the file")); }
        });
        xhr.addEventListener("error", function () { reject(new Error("network error")); });
        xhr.send(form);
      });
    });
  }

  $("send-button").addEventListener("click", function () {
    if (!chosen.length) { return; }
    $("send-button").disabled = true;
    $("camera").disabled = true; $("gallery").disabled = true;
    say("upload-error", "");
    var sent = 0;
    var queue = chosen.slice();
    function next() {
      if (!queue.length) {
        hide("upload");
        say("done-text", sent + (sent === 1 ? " photo was" : " photos were") + " sent securely. You can close this page.");
        show("done");
        $("done-heading").focus();
        return;
      }
      var entry = queue.shift();
      uploadOne(entry).then(function () { sent += 1; next(); }, function (error) {
        if (error.message === "locked") { return; }
        say("upload-error", "Sending " + entry.file.name + " failed: " + error.message + ". Please try again.");
        $("send-button").disabled = false;
        chosen = queue.length ? [entry].concat(queue) : [entry];
      });
    }
    next();
  });
})();
