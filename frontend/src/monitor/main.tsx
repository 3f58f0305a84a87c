import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ToastProvider } from "../components/Toasts";
import "../styles.css";
import "./monitor.css";
import { MonitorPage } from "./MonitorPage";

const root = document.getElementById("root");
if (root === null) throw new Error("monitor.html has no #root element");
createRoot(root).render(
  <StrictMode>
    <ToastProvider>
      <MonitorPage />
    </ToastProvider>
  </StrictMode>,
);
