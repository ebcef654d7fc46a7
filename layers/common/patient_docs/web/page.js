"use strict";
(function () {
  var root = document.getElementById("app");
  var link = root.getAttribute("data-link");
  var base = "/r/" + encodeURIComponent(link);
  // Every text comes from the page's own catalogue, in the page's one language.
  var messages = JSON.parse(document.getElementById("page-messages").textContent);
  // Each accepted extension's type, for files whose type the browser does not know (HEIC on many computers).
  var typesByExtension = JSON.parse(document.getElementById("page-types").textContent);
  var session = null; // kept in memory only: never in the URL or storage
  var limits = { maxFiles: 10, maxBytes: 15728640, types: [] };
  var chosen = [];
  var nextId = 0;

  function $(id) { return document.getElementById(id); }
  function show(id) { $(id).hidden = false; }
  function hide(id) { $(id).hidden = true; }
  function say(id, text) { $(id).textContent = text || ""; }
  function t(key, values) {
    return (messages[key] || "").replace(/\{(\w+)\}/g, function (all, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }
  function megabytes(bytes) { return Math.round(bytes / 1048576); }

  function postJson(path, body, headers) {
    var init = { method: "POST", headers: Object.assign({ "Content-Type": "application/json" }, headers || {}),
                 body: JSON.stringify(body), credentials: "omit", cache: "no-store" };
    return fetch(base + path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  // The link stopped working while the page was open (locked, expired or withdrawn).
  function stopped(status, data) {
    var withdrawn = status === 410 && /withdrawn|cancel/i.test((data && data.error && data.error.message) || "");
    hide("verify"); hide("upload"); hide("request");
    say("locked-heading", status === 423 ? t("locked_heading") : t("expired_heading"));
    say("locked-text", status === 423 ? t("locked_text") : (withdrawn ? t("cancelled_text") : t("expired_text")));
    show("locked");
    $("locked-heading").focus();
  }

  // ------------------------------------------------------------ date of birth (day, month, year)
  var parts = ["dob-day", "dob-month", "dob-year"];

  function markInvalid(ids) {
    parts.forEach(function (id) {
      var bad = ids.indexOf(id) >= 0;
      $(id).classList.toggle("invalid", bad);
      if (bad) { $(id).setAttribute("aria-invalid", "true"); } else { $(id).removeAttribute("aria-invalid"); }
    });
    if (ids.length) { $(ids[0]).focus(); }
  }

  function readDateOfBirth() {
    var day = $("dob-day").value.trim(), month = $("dob-month").value.trim(), year = $("dob-year").value.trim();
    if (!day && !month && !year) { return { error: t("dob_missing"), fields: parts }; }
    var missing = [];
    if (!day) { missing.push("dob-day"); }
    if (!month) { missing.push("dob-month"); }
    if (!year) { missing.push("dob-year"); }
    if (missing.length === 1) { return { error: t("dob_missing_" + missing[0].slice(4)), fields: missing }; }
    if (missing.length) { return { error: t("dob_missing"), fields: missing }; }
    if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month)) {
      return { error: t("dob_not_real"), fields: ["dob-day", "dob-month"] };
    }
    if (!/^\d{4}$/.test(year)) { return { error: t("dob_year_digits"), fields: ["dob-year"] }; }
    var d = parseInt(day, 10), m = parseInt(month, 10), y = parseInt(year, 10);
    var date = new Date(Date.UTC(y, m - 1, d));
    if (m < 1 || m > 12 || d < 1 || date.getUTCDate() !== d || date.getUTCMonth() !== m - 1 || y < 1800) {
      return { error: t("dob_not_real"), fields: parts };
    }
    if (date.getTime() > Date.now()) { return { error: t("dob_future"), fields: parts }; }
    var iso = y + "-" + (m < 10 ? "0" : "") + m + "-" + (d < 10 ? "0" : "") + d;
    return { value: iso };
  }

  $("verify-form").addEventListener("submit", function (event) {
    event.preventDefault();
    say("verify-error", "");
    var dob = readDateOfBirth();
    if (dob.error) { say("verify-error", dob.error); markInvalid(dob.fields); return; }
    markInvalid([]);
    $("verify-button").disabled = true;
    postJson("/verify", { date_of_birth: dob.value }).then(function (reply) {
      $("verify-button").disabled = false;
      if (reply.status === 200) {
        session = reply.data.upload_session;
        limits = { maxFiles: reply.data.max_files, maxBytes: reply.data.max_bytes, types: reply.data.accepted_types };
        say("prompt", reply.data.prompt); // what is asked for: only now that the date of birth is right
        $("request").hidden = !reply.data.prompt;
        hide("verify"); show("upload");
        $("upload-heading").focus();
      } else if (reply.status === 423 || reply.status === 410) {
        stopped(reply.status, reply.data);
      } else if (reply.status === 400 && typeof reply.data.attempts_left === "number") {
        say("verify-error", t("dob_wrong") + " " + t("tries_left", { count: reply.data.attempts_left }));
        markInvalid(parts);
      } else {
        say("verify-error", t("failed"));
      }
    }, function () {
      $("verify-button").disabled = false;
      say("verify-error", t("offline"));
    });
  });

  // ------------------------------------------------------------ choosing photos
  function typeOf(file) {
    if (file.type && file.type !== "application/octet-stream") { return file.type; }
    var dot = file.name.lastIndexOf(".");
    var known = dot >= 0 ? typesByExtension[file.name.slice(dot).toLowerCase()] : undefined;
    return known || file.type; // the server checks the bytes whatever the page says
  }

  function countText() { return t("chosen", { count: chosen.length }); }

  function addFiles(list) {
    var problems = [];
    for (var i = 0; i < list.length; i++) {
      var file = list[i];
      if (chosen.length >= limits.maxFiles) { problems.push(t("too_many", { max_files: limits.maxFiles })); break; }
      if (limits.types.length && limits.types.indexOf(typeOf(file)) < 0) { problems.push(t("wrong_type", { name: file.name })); continue; }
      if (file.size > limits.maxBytes) { problems.push(t("too_large", { name: file.name, max_mb: megabytes(limits.maxBytes) })); continue; }
      var entry = { id: "photo-" + (nextId++), file: file };
      entry.item = preview(entry);
      chosen.push(entry);
    }
    say("upload-error", problems.join(" "));
    say("files-status", countText());
    $("send-button").disabled = chosen.length === 0;
  }

  function remove(entry) {
    var index = chosen.indexOf(entry);
    if (index < 0) { return; }
    chosen.splice(index, 1);
    var img = entry.item.querySelector("img");
    if (img) { URL.revokeObjectURL(img.src); }
    entry.item.parentNode.removeChild(entry.item);
    say("files-status", t("removed", { name: entry.file.name, count: chosen.length }));
    $("send-button").disabled = chosen.length === 0;
    // Focus stays in the list (the next photo's remove button), else returns to the pickers.
    var next = chosen[index] || chosen[index - 1];
    (next ? next.item.querySelector("button") : $("gallery")).focus();
  }

  function preview(entry) {
    var file = entry.file;
    var item = document.createElement("li");
    item.id = entry.id;
    var thumb;
    if (/^image\/(jpeg|png|webp)$/.test(typeOf(file))) {
      thumb = document.createElement("img");
      thumb.alt = t("preview_alt", { name: file.name });
      thumb.src = URL.createObjectURL(file);
    } else {
      thumb = document.createElement("div"); // HEIC: browsers cannot show it; the name says which photo
      thumb.className = "noimg";
      thumb.setAttribute("aria-hidden", "true");
    }
    var body = document.createElement("div");
    body.className = "body";
    var name = document.createElement("div");
    name.className = "name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", t("progress_label", { name: file.name }));
    var button = document.createElement("button");
    button.type = "button";
    button.className = "remove";
    button.textContent = t("remove");
    button.setAttribute("aria-label", t("remove_label", { name: file.name }));
    button.addEventListener("click", function () { remove(entry); });
    body.appendChild(name); body.appendChild(bar); body.appendChild(button);
    item.appendChild(thumb); item.appendChild(body);
    $("files").appendChild(item);
    return item;
  }

  ["camera", "gallery"].forEach(function (id) {
    $(id).addEventListener("change", function (event) { addFiles(event.target.files); event.target.value = ""; });
  });

  // ------------------------------------------------------------ sending
  function refusal(reply) {
    if (reply.status === 423 || reply.status === 410) { stopped(reply.status, reply.data); return new Error("stopped"); }
    if (reply.status === 409) { return new Error(t("full")); }
    if (reply.status === 400 && reply.data.error && reply.data.error.field === "X-Upload-Session") { return new Error(t("session_ended")); }
    return new Error("");
  }

  function uploadOne(entry) {
    var file = entry.file;
    var bar = entry.item.querySelector("progress");
    return postJson("/uploads", { file_name: file.name, content_type: typeOf(file), size_bytes: file.size },
                    { "X-Upload-Session": session }).then(function (reply) {
      if (reply.status !== 200) { throw refusal(reply); }
      return new Promise(function (resolve, reject) {
        var form = new FormData();
        Object.keys(reply.data.fields).forEach(function (k) { form.append(k, reply.data.fields[k]); });
        form.append("file", file);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", reply.data.url);
        xhr.upload.addEventListener("progress", function (e) { if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); } });
        xhr.addEventListener("load", function () {
          if (xhr.status >= 200 && xhr.status < 300) { bar.value = 100; resolve(); } else { reject(new Error("")); }
        });
        xhr.addEventListener("error", function () { reject(new Error(t("offline"))); });
        xhr.send(form);
      });
    });
  }

  function lockPickers(locked) {
    $("send-button").disabled = locked;
    $("camera").disabled = locked; $("gallery").disabled = locked;
    chosen.forEach(function (entry) { entry.item.querySelector("button").disabled = locked; });
  }

  $("send-button").addEventListener("click", function () {
    if (!chosen.length) { return; }
    lockPickers(true);
    say("upload-error", "");
    var sent = 0;
    function next() {
      if (!chosen.length) {
        hide("upload");
        say("done-text", t("sent", { count: sent }));
        show("done");
        $("done-heading").focus();
        return;
      }
      var entry = chosen[0];
      uploadOne(entry).then(function () {
        chosen.shift();
        entry.item.querySelector("button").hidden = true; // sent: nothing left to remove
        sent += 1;
        next();
      }, function (error) {
        if (error.message === "stopped") { return; }
        lockPickers(false);
        say("upload-error", error.message || t("send_failed", { name: entry.file.name }));
      });
    }
    next();
  });
})();
