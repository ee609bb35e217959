/// The console's stylesheet and script, served from the router itself (no third-party request, nothing to build).
enum ConsoleAssets {
    /// Dark text on white (contrast well above 4.5:1), visible focus, tables that scroll on their own at phone width.
    static let stylesheet = """
        *{box-sizing:border-box}
        body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1b1b;background:#fff}
        a{color:#0b4f9c}
        a:focus,button:focus,input:focus,select:focus,[tabindex]:focus{outline:3px solid #c45500;outline-offset:2px}
        .skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px}
        header{display:flex;flex-wrap:wrap;align-items:center;gap:8px 24px;padding:8px 16px;background:#102a43;color:#fff}
        header a{color:#fff}.brand{font-weight:700;margin:0}
        nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:4px 16px;margin:0;padding:0}
        nav a[aria-current]{font-weight:700;text-decoration-thickness:3px}
        .signout{margin-left:auto;display:flex;gap:8px;align-items:center}
        main{padding:8px 16px 48px;max-width:1200px}
        h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem}h3{font-size:1.05rem}
        .scroll{overflow-x:auto;margin:1rem 0}
        table{border-collapse:collapse;min-width:100%}
        caption{text-align:left;font-weight:700;padding:4px 0}
        th,td{border-bottom:1px solid #c8ccd0;padding:4px 8px;text-align:left;vertical-align:top}
        thead th{background:#eef1f4}
        form.api,form.filters{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:end;margin:8px 0;padding:8px;border:1px solid #c8ccd0;border-radius:4px}
        form.api label,form.filters label{display:block;font-weight:600}
        form.signout{border:0;padding:0;margin:0 0 0 auto}
        .field{display:flex;flex-direction:column;gap:2px;max-width:100%}.field input,.field select{max-width:100%}
        input,select,button,.button{font:inherit;padding:6px 10px;border:1px solid #5c6670;border-radius:4px;min-height:44px}
        button,.button{background:#0b4f9c;color:#fff;border-color:#0b4f9c;cursor:pointer;text-decoration:none;display:inline-block}
        small{display:block;color:#4a5560}
        .row{display:flex;flex-wrap:wrap;gap:8px}
        .ok{color:#0a6b2d;font-weight:600}.off{color:#8a1c1c;font-weight:600}.muted{color:#4a5560}
        .state-online{color:#0a6b2d}.state-failed{color:#8a1c1c;font-weight:700}
        #status:not(:empty){padding:8px;border-left:4px solid #0b4f9c;background:#eef4fb}
        #status.error{border-color:#8a1c1c;background:#fbeeee}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
        ol.transcript{list-style:none;padding:0}ol.transcript li{margin:8px 0;padding:8px;border-radius:6px;background:#eef1f4;max-width:40rem}
        ol.transcript li.line-out{background:#e3effa;margin-left:2rem}.meta{font-size:.85rem;color:#4a5560;margin:0}
        figure.chart{margin:1rem 0}svg rect.started{fill:#9db7d5}svg rect.answered{fill:#0b4f9c}
        svg .axis{stroke:#5c6670}svg .tick{font-size:11px;fill:#1b1b1b}
        .key{display:inline-block;width:12px;height:12px}.key.started{background:#9db7d5}.key.answered{background:#0b4f9c}
        table.hours td{text-align:center;min-width:2.2em;padding:2px}
        .heat-0{background:#fff}.heat-1{background:#e3effa}.heat-2{background:#b8d3ef}.heat-3{background:#7fa8d6}.heat-4{background:#0b4f9c;color:#fff}
        @media (max-width:600px){header{padding:8px}main{padding:8px}form.api,form.filters{display:block}form.api>*,form.filters>*{margin-top:6px}.field input{width:100%}}
        """

    /// The tab's icon: a speech bubble.
    static let icon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path fill="#0b4f9c" d="M2 2h12v9H7l-3 3v-3H2z"/></svg>
        """

    /// Sends the page's forms to the admin API and keeps the desk live. A few lines, no framework.
    static let script = """
        "use strict";
        function say(text, error) {
          const status = document.getElementById("status");
          if (!status) return;
          status.textContent = text;
          status.className = error ? "error" : "";
        }
        document.addEventListener("submit", async (event) => {
          const form = event.target;
          if (!form.dataset.api) return;
          event.preventDefault();
          if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
          const body = new URLSearchParams();
          for (const [name, value] of new FormData(form)) if (value !== "") body.append(name, value);
          say("Saving…");
          try {
            const response = await fetch(form.dataset.api, {
              method: form.dataset.method || "POST", body, credentials: "same-origin",
              headers: {"Content-Type": "application/x-www-form-urlencoded"}
            });
            let answer = {};
            try { answer = await response.json(); } catch (ignored) {}
            if (!response.ok) { say(answer.message || ("Refused: " + response.status), true); return; }
            sessionStorage.setItem("refdesk-said", form.dataset.said || "Saved.");
            if (form.dataset.then === "reload") window.location.reload(); else window.location.assign(form.dataset.then);
          } catch (failure) {
            say("The router could not be reached: " + failure.message, true);
          }
        });
        document.addEventListener("DOMContentLoaded", () => {
          const said = sessionStorage.getItem("refdesk-said");
          if (said) { sessionStorage.removeItem("refdesk-said"); say(said); }
          const desk = document.querySelector("[data-live]");
          if (desk && window.EventSource) {
            const events = new EventSource(desk.dataset.live);
            events.addEventListener("desk", (event) => { desk.innerHTML = event.data; });
            events.addEventListener("signedout", () => { events.close(); window.location.assign("/console/login"); });
          }
        });
        """
}
