/*
 * Runnable answers: demo panels and runnable code blocks on question pages.
 *
 * The server does the work and the drawing: this script posts a run to the JSON
 * API, polls its status URL, moves the progress bar, and swaps in the result
 * HTML the server rendered. No page reloads, no client-side charting.
 */
(function () {
  "use strict";

  var FINAL = { succeeded: true, failed: true, timed_out: true, cancelled: true };

  function config() {
    var node = document.getElementById("sandbox-config");
    return {
      apiUrl: (node && node.dataset.apiUrl) || "/runs/api/runs/",
      csrf: (node && node.dataset.csrfToken) || cookie("csrftoken"),
      limits: (node && node.dataset.limits) || "",
    };
  }

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function request(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": config().csrf },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response
        .json()
        .catch(function () {
          return { error: "The server answered with status " + response.status + "." };
        })
        .then(function (data) {
          // The site's JSON error is {"error": {"field", "message"}}; the callers below read it flat.
          if (data && data.error && typeof data.error === "object") {
            data = Object.assign({}, data, { error: data.error.message, field: data.error.field });
          }
          return { status: response.status, data: data };
        });
    });
  }

  /*
   * One run's life on the page. `ui` supplies the elements and two hooks:
   * onResult(html) and onFieldError(field, message) (the latter may be absent).
   */
  function Runner(ui) {
    this.ui = ui;
    this.statusUrl = null;
    this.timer = null;
    this.startedPolling = 0;
  }

  Runner.prototype.start = function (body) {
    var self = this;
    self.clearErrors();
    self.setBusy(true);
    self.showProgress(0, "sending…");
    request("POST", config().apiUrl, body)
      .then(function (reply) {
        if (reply.status !== 202) {
          self.fail(reply.data.error || "The run could not be started.", reply.data.field);
          return;
        }
        self.statusUrl = reply.data.status_url;
        self.showProgress(reply.data.progress || 0, reply.data.message || reply.data.state);
        if (self.ui.cancel) self.ui.cancel.hidden = false;
        self.startedPolling = Date.now();
        self.poll();
      })
      .catch(function () {
        self.fail("Could not reach the server. Check your connection and try again.");
      });
  };

  Runner.prototype.poll = function () {
    var self = this;
    // Fast at first (most demos finish in seconds), then gentler on the server.
    var delay = Date.now() - self.startedPolling < 10000 ? 400 : 1500;
    self.timer = window.setTimeout(function () {
      request("GET", self.statusUrl)
        .then(function (reply) {
          if (reply.status !== 200) {
            self.fail(reply.data.error || "Lost track of this run (status " + reply.status + ").");
            return;
          }
          self.update(reply.data);
        })
        .catch(function () {
          self.showProgress(null, "connection lost; retrying…");
          self.poll();
        });
    }, delay);
  };

  Runner.prototype.update = function (run) {
    var self = this;
    var label = run.state.replace("_", " ");
    label += run.message && run.message !== run.state ? " · " + run.message : "";
    this.showProgress(run.progress, label);
    if (!FINAL[run.state]) {
      // Elapsed time from the server's figure, ticking locally between polls.
      if (run.elapsed_s !== null && run.elapsed_s !== undefined) {
        var anchor = { seconds: run.elapsed_s, at: Date.now() };
        window.clearInterval(this.ticker);
        this.ticker = window.setInterval(function () {
          var seconds = anchor.seconds + (Date.now() - anchor.at) / 1000;
          self.showProgress(null, label + " · " + seconds.toFixed(1) + " s");
        }, 100);
      }
      if (run.live_output && this.ui.onLiveOutput) this.ui.onLiveOutput(run.live_output);
      this.poll();
      return;
    }
    window.clearInterval(this.ticker);
    this.setBusy(false);
    if (this.ui.cancel) this.ui.cancel.hidden = true;
    if (this.ui.onFinal) this.ui.onFinal(run);
    if (run.result_html) {
      this.ui.onResult(run.result_html);
      // Its "Measured …" time arrives in UTC; site.js puts every time in the visitor's zone.
      if (window.prepLocalizeTimes) window.prepLocalizeTimes(document);
    }
    if (run.state === "succeeded") {
      this.ui.progress.hidden = true;
    } else {
      this.fail(run.error || "The run ended: " + label + ".");
    }
  };

  Runner.prototype.cancel = function () {
    var self = this;
    if (!self.statusUrl) return;
    request("POST", self.statusUrl + "cancel/").then(function (reply) {
      if (reply.status !== 200) self.fail(reply.data.error || "Could not cancel.");
    });
  };

  Runner.prototype.showProgress = function (percent, text) {
    var bar = this.ui.progress.querySelector("progress");
    this.ui.progress.hidden = false;
    if (percent !== null && percent !== undefined) bar.value = percent;
    this.ui.progress.querySelector("[class$='progress-text']").textContent = text || "";
  };

  Runner.prototype.setBusy = function (busy) {
    this.ui.button.disabled = busy;
    this.ui.button.textContent = busy ? "Running…" : "Run";
  };

  Runner.prototype.clearErrors = function () {
    this.ui.error.hidden = true;
    this.ui.error.textContent = "";
    if (this.ui.clearFieldErrors) this.ui.clearFieldErrors();
  };

  Runner.prototype.fail = function (message, field) {
    window.clearTimeout(this.timer);
    window.clearInterval(this.ticker);
    this.setBusy(false);
    if (this.ui.cancel) this.ui.cancel.hidden = true;
    this.ui.progress.hidden = true;
    if (field && this.ui.onFieldError && this.ui.onFieldError(field, message)) return;
    this.ui.error.textContent = message;
    this.ui.error.hidden = false;
  };

  /* Demo panels rendered by {% demo_panels %}. */
  function readParams(form) {
    var params = {};
    form.querySelectorAll("[name]").forEach(function (input) {
      var type = input.dataset.type;
      if (type === "bool") {
        params[input.name] = input.checked;
      } else if ((type === "int" || type === "float") && input.value.trim() !== "" && !isNaN(Number(input.value))) {
        params[input.name] = Number(input.value);
      } else {
        params[input.name] = input.value; // the server names the field if this is not acceptable
      }
    });
    return params;
  }

  function setUpPanel(panel) {
    var form = panel.querySelector(".demo-form");
    var slot = panel.querySelector(".demo-result-slot");
    var runner = new Runner({
      button: form.querySelector(".demo-run"),
      cancel: form.querySelector(".demo-cancel"),
      progress: form.querySelector(".demo-progress"),
      error: form.querySelector(".demo-error"),
      onResult: function (html) {
        slot.innerHTML = html;
        if (window.prepSetupScrollers) window.prepSetupScrollers(slot); // site.js: the scroll cue of a wide table
      },
      onFieldError: function (field, message) {
        var name = field.indexOf("params.") === 0 ? field.slice(7) : null;
        var holder = name && form.querySelector('.demo-field[data-param="' + name + '"] .demo-field-error');
        if (!holder) return false;
        // Shown under the field itself, so "params.max_len: must be…" reads better as "max_len must be…".
        var prefix = field + ": ";
        holder.textContent = message.indexOf(prefix) === 0 ? name + " " + message.slice(prefix.length) : message;
        holder.hidden = false;
        // The control says it is wrong; its aria-describedby already names the message's element.
        var control = form.querySelector('[name="' + name + '"]');
        if (control) control.setAttribute("aria-invalid", "true");
        return true;
      },
      clearFieldErrors: function () {
        form.querySelectorAll(".demo-field-error").forEach(function (node) {
          node.hidden = true;
          node.textContent = "";
        });
        form.querySelectorAll("[aria-invalid]").forEach(function (control) {
          control.removeAttribute("aria-invalid");
        });
      },
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      runner.start({ demo: panel.dataset.demo, params: readParams(form) });
    });
    form.querySelector(".demo-cancel").addEventListener("click", function () {
      runner.cancel();
    });
  }

  /* ```python run``` blocks rendered by the site's Markdown: an editor, a Run button, an output area. */
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function setUpRunnableCode(block) {
    var pre = block.querySelector("pre");
    if (!pre || block.dataset.sandboxReady) return;
    block.dataset.sandboxReady = "1";
    var source = pre.textContent.replace(/\n$/, "");
    var editor = element("textarea", "code-editor");
    editor.value = source;
    editor.spellcheck = false;
    editor.rows = Math.min(30, Math.max(4, source.split("\n").length + 1));
    editor.setAttribute("aria-label", "Python code to run");
    var actions = element("div", "code-actions");
    var button = element("button", "button button-primary code-run", "Run");
    button.type = "button";
    var reset = element("button", "link-button code-reset", "Reset");
    reset.type = "button";
    var cancel = element("button", "link-button code-cancel", "Cancel");
    cancel.type = "button";
    cancel.hidden = true;
    actions.append(button, reset, cancel);
    var limits = config().limits;
    var note = element("p", "code-limits", (limits ? "Runs in a sandbox: " + limits + ". " : "") + "Ctrl/⌘+Enter runs.");
    // The server's startup check found that code cannot run here: say so above Run, not after a click.
    var off = document.getElementById("sandbox-code-runs-off");
    if (off) {
      var notice = off.cloneNode(true);
      notice.removeAttribute("id");
      notice.hidden = false;
      block.append(notice);
      button.disabled = true;
    }
    var progress = element("div", "code-progress");
    progress.hidden = true;
    progress.append(element("progress"), element("span", "code-progress-text"));
    progress.querySelector("progress").max = 100;
    var error = element("p", "code-error");
    error.setAttribute("role", "alert");
    error.hidden = true;
    var output = element("div", "code-output-slot");
    output.setAttribute("aria-live", "polite");
    pre.hidden = true;
    block.append(editor, actions, note, progress, error, output);

    var runner = new Runner({
      button: button,
      cancel: cancel,
      progress: progress,
      error: error,
      onResult: function (html) {
        output.innerHTML = html;
      },
      // What the program printed so far; replaced by the result when it ends.
      onLiveOutput: function (text) {
        var live = output.querySelector(".code-live");
        if (!live) {
          output.innerHTML = "";
          live = element("pre", "code-output code-live");
          live.setAttribute("aria-label", "Output so far");
          output.append(live);
        }
        live.textContent = text;
        live.scrollTop = live.scrollHeight;
      },
    });
    function run() {
      if (!button.disabled) runner.start({ code: rich ? rich.getValue() : editor.value });
    }
    // The vendored CodeMirror (highlighting, Tab indents, Ctrl/Cmd-Enter runs) when it loaded; else the textarea.
    var rich = window.PrepEditor ? window.PrepEditor.create(editor, { label: "Python code to run", onRun: run }) : null;
    button.addEventListener("click", run);
    cancel.addEventListener("click", function () {
      runner.cancel();
    });
    reset.addEventListener("click", function () {
      if (rich) rich.setValue(source);
      else editor.value = source;
    });
  }

  /* A run's permalink page follows the run until it ends. */
  function followRunPage(live) {
    if (live.dataset.final === "true") return;
    var heading = live.querySelector("h2");
    var runner = new Runner({
      button: document.createElement("button"), // the page has no Run button; a detached one keeps Runner simple
      progress: live.querySelector(".demo-progress"),
      error: live.querySelector(".demo-error"),
      onResult: function (html) {
        live.querySelector(".run-result-slot").innerHTML = html;
        if (window.prepSetupScrollers) window.prepSetupScrollers(live); // site.js: the scroll cue of a wide table
        heading.hidden = false;
      },
      // The status line above was rendered while the run was going; bring it up to date too.
      onFinal: function (run) {
        var state = document.querySelector("[data-run-state]");
        var progress = document.querySelector("[data-run-progress]");
        if (state) {
          var label = run.state.replace("_", " ");
          state.textContent = label.charAt(0).toUpperCase() + label.slice(1);
          state.className = "run-state run-state-" + run.state;
        }
        if (progress) progress.textContent = "";
      },
    });
    runner.statusUrl = live.dataset.statusUrl;
    runner.startedPolling = Date.now();
    runner.poll();
  }

  // The exercise page (static/js/exercise.js) talks to its own API with the same helper.
  window.PrepRuns = { request: request };

  function init() {
    document.querySelectorAll(".run-live[data-status-url]").forEach(followRunPage);
    document.querySelectorAll(".demo-panel[data-demo] .demo-form").forEach(function (form) {
      setUpPanel(form.closest(".demo-panel"));
    });
    document.querySelectorAll('.runnable-code[data-runnable="python"]').forEach(setUpRunnableCode);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
